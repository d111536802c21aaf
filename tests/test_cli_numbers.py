"""`smsgate numbers` and `smsgate opt-outs`, run for real as subprocesses on each backend."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RECIPIENT, SENDER
from tests.test_cli import Run, assert_one_error_line, cli_env, smsgate

__all__ = ["cli_env", "smsgate"]  # fixtures, shared with tests/test_cli.py


def numbers(smsgate: Run) -> list[dict[str, object]]:
    result = smsgate("numbers", "list", "--json")
    assert result.returncode == 0, result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_numbers_add_list_update_remove(smsgate: Run) -> None:
    assert smsgate("accounts", "create", "default").returncode == 0
    added = smsgate(
        "numbers", "add", "+18005550100", "--marketing", "--help-reply", "Call 555-0100", "--json"
    )
    assert added.returncode == 0, added.stderr
    number = json.loads(added.stdout)
    assert (number["type"], number["mps"], number["marketing"]) == ("toll_free", 3, True)
    assert number["keyword_replies"]["help"] == "Call 555-0100"
    assert smsgate("numbers", "add", "12345").returncode == 0

    updated = smsgate("numbers", "update", "+18005550100", "--mps", "7", "--no-marketing")
    assert updated.returncode == 0, updated.stderr
    (toll_free, short_code) = numbers(smsgate)
    assert (toll_free["mps"], toll_free["marketing"]) == (7, False)
    assert (short_code["type"], short_code["mps"]) == ("short_code", 100)
    reset = smsgate("numbers", "update", "+18005550100", "--reset", "mps", "--reset", "help_reply")
    assert reset.returncode == 0, reset.stderr
    assert numbers(smsgate)[0]["mps"] == 3

    assert smsgate("numbers", "remove", "12345").returncode == 0
    assert [n["number"] for n in numbers(smsgate)] == ["+18005550100"]


def test_numbers_bad_input_is_one_line(smsgate: Run) -> None:
    assert smsgate("accounts", "create", "default").returncode == 0
    assert smsgate("numbers", "add", SENDER).returncode == 0
    assert_one_error_line(smsgate("numbers", "add", SENDER), "already registered")
    assert_one_error_line(smsgate("numbers", "add", "12345", "--type", "long_code"), "short code")
    assert_one_error_line(smsgate("numbers", "add", "+15005550007", "--mps", "0"), "--mps")
    assert_one_error_line(
        smsgate("numbers", "add", "+15005550007", "--inbound-url", "ftp://x"), "http"
    )
    assert_one_error_line(
        smsgate("numbers", "update", "+15005550009", "--mps", "2"), "not a number"
    )
    assert_one_error_line(smsgate("numbers", "update", SENDER, "--reset", "number"), "--reset")
    assert [n["number"] for n in numbers(smsgate)] == [SENDER]


def test_opt_outs_add_list_export_import_remove(smsgate: Run, tmp_path: Path) -> None:
    assert smsgate("accounts", "create", "default").returncode == 0
    assert smsgate("numbers", "add", SENDER).returncode == 0
    assert smsgate("opt-outs", "add", RECIPIENT).returncode == 0
    assert smsgate("opt-outs", "add", "+14155552672", "--number", SENDER).returncode == 0
    assert_one_error_line(smsgate("opt-outs", "add", "12"), "E.164")

    exported = smsgate("opt-outs", "export")
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert lines[0] == "phone,number,source,created_at"
    assert [line.split(",")[:3] for line in lines[1:]] == [
        [RECIPIENT, "", "api"],
        ["+14155552672", SENDER, "api"],
    ]
    assert smsgate("opt-outs", "remove", RECIPIENT).returncode == 0
    assert smsgate("opt-outs", "remove", "+14155552672", "--number", SENDER).returncode == 0
    assert json.loads(smsgate("opt-outs", "list", "--json").stdout) == []

    csv_file = tmp_path / "opt-outs.csv"
    csv_file.write_text(exported.stdout + "nonsense,\n")
    imported = smsgate("opt-outs", "import", str(csv_file))
    assert imported.returncode == 0, imported.stderr
    assert "imported 2, 0 already opted out, 1 rejected" in imported.stdout
    assert "row 3" in imported.stdout
    listed = json.loads(smsgate("opt-outs", "list", "--json").stdout)
    assert [(e["phone"], e["number"], e["source"]) for e in listed] == [
        (RECIPIENT, None, "import"),
        ("+14155552672", SENDER, "import"),
    ]
    assert_one_error_line(smsgate("opt-outs", "remove", "+14155550000"), "not opted out")

"""`smsgate send --csv`: run for real as a subprocess against a running gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from smsgate import bulk
from smsgate_client import Client
from tests.conftest import SENDER, Credentials, RunningGateway

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'smsgate.db'}"


@pytest.fixture
def key(gateway: RunningGateway) -> Credentials:
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    return credentials


@pytest.fixture
def smsgate(gateway: RunningGateway, key: Credentials, tmp_path: Path) -> Run:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    environ.update(
        {"SMSGATE_URL": gateway.base_url, "SMSGATE_KEY_ID": key.key_id,
         "SMSGATE_SECRET": key.secret, "COLUMNS": "200"}
    )  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "smsgate.cli", "send", "--from", SENDER, *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    return run


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "recipients.csv"
    path.write_text(text)
    return str(path)


def stored(gateway: RunningGateway, key: Credentials) -> list[tuple[str, str]]:
    with gateway.client(key) as http:
        found = http.get("/v1/messages", params={"limit": 1000}).json()["messages"]
    return sorted((m["to"], m["body"]) for m in found)


RECIPIENTS = """to,name,table
+14155552671,Ann,7
(415) 555-2672,Bob,3
not a number,Cy,1
+1 415 555 2671,Ann again,9
+14155552673,"Dee, Jr.",12
"""


def test_bulk_sends_each_valid_row_and_skips_the_rest_with_a_reason(
    smsgate: Run, gateway: RunningGateway, key: Credentials, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path, RECIPIENTS)
    result = smsgate(
        "--csv", csv_path, "--body-template", "Hi {name}, table {table} is ready.", "--region", "US"
    )
    assert result.returncode == 0, result.stderr
    assert stored(gateway, key) == [
        ("+14155552671", "Hi Ann, table 7 is ready."),
        ("+14155552672", "Hi Bob, table 3 is ready."),
        ("+14155552673", "Hi Dee, Jr., table 12 is ready."),
    ]
    assert "Summary" in result.stdout
    assert "a letter" in result.stdout  # line 4's reason
    assert "already had a message from line 2" in result.stdout  # line 5's


def test_bulk_json_is_a_machine_readable_summary(smsgate: Run, tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, RECIPIENTS)
    result = smsgate("--csv", csv_path, "--body-template", "Hi {name}", "--region", "US", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["sent"], report["skipped"], report["failed"], report["total"]) == (3, 2, 0, 5)
    rows = {row["row"]: row for row in report["rows"]}
    assert rows[2]["status"] == "sent"
    assert rows[2]["message_id"].startswith("SM")
    assert rows[4]["status"] == "skipped"
    assert "a letter" in rows[4]["reason"]
    assert rows[5]["to"] == "+14155552671"


def test_a_row_the_gateway_refuses_is_failed_and_the_exit_status_is_1(
    smsgate: Run, gateway: RunningGateway, key: Credentials, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path, f"phone,text\n+14155552671,{'x' * 1601}\n+14155552672,ok\n")
    result = smsgate("--csv", csv_path, "--body-template", "{text}", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (failed,) = [r for r in report["rows"] if r["status"] == "failed"]
    assert failed["code"] == 21617
    assert stored(gateway, key) == [("+14155552672", "ok")]


def test_with_an_idempotency_prefix_a_second_run_sends_nothing_twice(
    smsgate: Run, gateway: RunningGateway, key: Credentials, tmp_path: Path
) -> None:
    csv_path = write_csv(tmp_path, "to\n+14155552671\n+14155552672\n")
    for _ in range(2):
        result = smsgate(
            "--csv", csv_path, "--body-template", "Sale!", "--idempotency-prefix", "sale-1"
        )
        assert result.returncode == 0, result.stderr
    assert len(stored(gateway, key)) == 2


@pytest.mark.parametrize(
    ("csv_text", "template", "says"),
    [
        ("number,name\n+14155552671,Ann\n", "Hi {name}", "no 'to' or 'phone' column"),
        ("to,name\n+14155552671,Ann\n", "Hi {nmae}", "{nmae}, which is not a column"),
        ("to,name\n+14155552671,Ann\n", "Hi {name", "is not valid"),
        ("to,name\n+14155552671,Ann\n", "Hi {0}", "name a column"),
        ("to,name\n+14155552671,Ann\n", "Hi {name.upper}", "name a column"),
        ("to,name\n+14155552671,Ann\n", "Hi {name!r}", "format or conversion"),
        ("to,name\n", "Hi {name}", "no rows"),
        ("", "Hi", "is empty"),
        ("to,name\n+14155552671,Ann,extra\n", "Hi {name}", "more values than the header"),
        ("to\n+14155552671\n", "   ", "template is empty"),
    ],
)
def test_a_bad_file_or_template_exits_2_and_sends_nothing(
    smsgate: Run,
    gateway: RunningGateway,
    key: Credentials,
    tmp_path: Path,
    csv_text: str,
    template: str,
    says: str,
) -> None:
    result = smsgate("--csv", write_csv(tmp_path, csv_text), "--body-template", template)
    assert result.returncode == 2, result
    assert says in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert stored(gateway, key) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--csv", "missing.csv", "--body-template", "x"), "There is no file"),
        (("--csv", "r.csv"), "--csv needs --body-template"),
        (("--csv", "r.csv", "--to", "+14155552671", "--body-template", "x"), "leave out --to"),
        (("--to", "+14155552671"), "give --to and --body"),
        (("--to", "+14155552671", "--body", "x", "--body-template", "y"), "goes with --csv"),
    ],
)
def test_options_that_do_not_go_together_exit_2(
    smsgate: Run, args: tuple[str, ...], says: str
) -> None:
    result = smsgate(*args)
    assert result.returncode == 2, result
    assert says in result.stderr


def test_an_opted_out_recipient_is_skipped_with_the_gateways_reason(tmp_path: Path) -> None:
    # The gateway's opt-out answer (21610) is played by a mock transport at the HTTP edge.
    def answer(request: httpx.Request) -> httpx.Response:
        to = json.loads(request.content)["to"]
        if to == "+14155552672":
            return httpx.Response(
                400,
                json={"type": "t", "title": "Opted out", "status": 400, "code": 21610,
                      "detail": "+14155552672 has opted out of your messages.", "field": "to"},
            )  # fmt: skip
        return httpx.Response(201, json={"id": "SM1", "to": to, "status": "queued"})

    path = tmp_path / "r.csv"
    path.write_text("to\n+14155552671\n+14155552672\n")
    plan = bulk.read_plan(path, "hello")
    with Client("SK1", "s", environ={}, transport=httpx.MockTransport(answer)) as client:
        results = bulk.send_all(client, plan, from_=SENDER, region=None)
    assert [r.status for r in results] == ["sent", "skipped"]
    assert results[1].code == 21610
    assert results[1].reason == "+14155552672 has opted out of your messages."

"""`smsgate connectors|routes add|list|remove`, `accounts create --operator` and
`smsgate config apply`, run as subprocesses against each store backend."""

# The fixtures come from tests.test_cli; pytest passes them in by name.
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path

from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from tests.test_cli import (  # noqa: F401  (fixtures)
    Run,
    assert_one_error_line,
    cli_env,
    smsgate,
    store,
)

CARRIER = ["--host", "smpp.a.example", "--system-id", "acme", "--password", "s3cret"]


def test_connectors_add_list_remove(smsgate: Run, store: Database) -> None:
    added = smsgate("connectors", "add", "carrier-a", *CARRIER, "--tps", "50", "--window", "32")
    assert added.returncode == 0, added.stderr
    assert "carrier-a" in added.stdout
    listed = smsgate("connectors", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [shown] = json.loads(listed.stdout)
    assert shown["tps"] == 50
    assert shown["window"] == 32
    assert "password" not in shown
    assert "s3cret" not in listed.stdout
    assert "s3cret" not in smsgate("connectors", "list").stdout
    assert store.run_sync(lambda c: connector_store.get_connector(c, "carrier-a")).password == (
        "s3cret"
    )
    removed = smsgate("connectors", "remove", "carrier-a")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(smsgate("connectors", "list", "--json").stdout) == []


def test_bad_connector_input_exits_2_and_stores_nothing(smsgate: Run, store: Database) -> None:
    assert_one_error_line(
        smsgate("connectors", "add", "c", *CARRIER, "--port", "0"), "port 0 is out of range"
    )
    assert_one_error_line(
        smsgate("connectors", "add", "c", *CARRIER, "--kind", "http"), "kind 'http'"
    )
    assert_one_error_line(smsgate("connectors", "add", "simulator", *CARRIER), "built-in")
    assert_one_error_line(smsgate("connectors", "remove", "nope"), "No connector is named")
    assert store.run_sync(connector_store.list_connectors) == []


def test_routes_add_list_remove(smsgate: Run, store: Database) -> None:
    assert smsgate("connectors", "add", "carrier-a", *CARRIER).returncode == 0
    assert smsgate("accounts", "create", "acme").returncode == 0
    added = smsgate(
        "routes", "add", "acme-us", "--connector", "carrier-a", "--connector", "carrier",
        "--country", "US", "--account", "acme", "--priority", "5",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    [route] = json.loads(smsgate("routes", "list", "--json").stdout)
    account = store.run_sync(lambda c: account_store.get_account(c, "acme"))
    assert route["connectors"] == ["carrier-a", "carrier"]
    assert route["account_id"] == account.id
    assert route["priority"] == 5
    assert_one_error_line(
        smsgate("connectors", "remove", "carrier-a"), "used by the route(s) acme-us"
    )
    assert smsgate("routes", "remove", "acme-us").returncode == 0
    assert store.run_sync(route_store.list_routes) == ()


def test_bad_route_input_exits_2(smsgate: Run, store: Database) -> None:
    assert_one_error_line(smsgate("routes", "add", "r", "--connector", "nope"), "No connector")
    assert_one_error_line(
        smsgate("routes", "add", "r", "--connector", "simulator", "--country", "XX"), "country"
    )
    assert_one_error_line(
        smsgate("routes", "add", "r", "--connector", "carrier", "--mode", "test"),
        "test-mode keys never reach a carrier",
    )
    assert_one_error_line(
        smsgate("routes", "add", "r", "--connector", "simulator", "--account", "ghost"),
        "No account",
    )
    assert store.run_sync(route_store.list_routes) == ()


def test_accounts_create_operator(smsgate: Run, store: Database) -> None:
    result = smsgate("accounts", "create", "ops", "--operator")
    assert result.returncode == 0, result.stderr
    assert "(operator)" in result.stdout
    assert store.run_sync(lambda c: account_store.get_account(c, "ops")).is_operator


CONFIG = """
[[connectors]]
name = "carrier-a"
host = "smpp.a.example"
port = 2775
system_id = "acme"
password = "s3cret"
tps = 50

[[routes]]
name = "us"
country = "US"
connectors = ["carrier-a", "carrier"]
"""


def test_config_apply_is_idempotent_and_prunes_only_when_asked(
    smsgate: Run, store: Database, tmp_path: Path
) -> None:
    (tmp_path / "smsgate.toml").write_text(CONFIG)
    first = smsgate("config", "apply")
    assert first.returncode == 0, first.stderr
    assert "connector carrier-a: created" in first.stdout
    assert "2 change(s)" in first.stdout
    again = smsgate("config", "apply", "--file", "smsgate.toml")
    assert again.returncode == 0, again.stderr
    assert "0 change(s)" in again.stdout
    assert smsgate("connectors", "add", "extra", *CARRIER).returncode == 0
    kept = smsgate("config", "apply")
    assert "extra" not in kept.stdout
    pruned = smsgate("config", "apply", "--prune")
    assert "connector extra: removed" in pruned.stdout
    assert [s.name for s in store.run_sync(connector_store.list_connectors)] == ["carrier-a"]


def test_config_apply_with_a_bad_file_exits_2_and_changes_nothing(
    smsgate: Run, store: Database, tmp_path: Path
) -> None:
    (tmp_path / "bad.toml").write_text(CONFIG.replace("port = 2775", "port = 99999"))
    assert_one_error_line(
        smsgate("config", "apply", "--file", "bad.toml"), "[[connectors]] entry 1", "port"
    )
    assert_one_error_line(smsgate("config", "apply", "--file", "missing.toml"), "does not exist")
    assert store.run_sync(connector_store.list_connectors) == []

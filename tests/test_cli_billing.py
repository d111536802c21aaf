"""`smsgate accounts balance` and `smsgate usage`, run as a subprocess against each store
backend (and a gateway sharing it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from smsgate.store import accounts as account_store
from smsgate.store.balances import get_balance
from smsgate.store.database import Database
from tests.conftest import RECIPIENT, SENDER, RunningGateway, wait_for
from tests.test_cli import Run, assert_one_error_line, cli_env, smsgate, store

__all__ = ["cli_env", "smsgate", "store"]  # fixtures this module uses


def balance_of(store: Database, name: str) -> int | None:
    def read(connection: object) -> int | None:
        account = account_store.get_account(connection, name)  # type: ignore[arg-type]
        return get_balance(connection, account.id)  # type: ignore[arg-type]

    return store.run_sync(read)


def test_set_top_up_show_and_unlimit_a_balance(smsgate: Run, store: Database) -> None:
    assert smsgate("accounts", "create", "acme").returncode == 0
    shown = smsgate("accounts", "balance", "acme")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("acme (AC")
    assert shown.stdout.endswith(": unlimited\n")

    result = smsgate("accounts", "balance", "acme", "--set", "10")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(": 10.00 USD\n")
    assert balance_of(store, "acme") == 10_000_000

    result = smsgate("accounts", "balance", "acme", "--add", "2.5079", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["balance"] == "12.5079"
    assert json.loads(result.stdout)["currency"] == "USD"

    assert smsgate("accounts", "balance", "acme", "--add", "-12.5079").returncode == 0
    assert balance_of(store, "acme") == 0

    result = smsgate("accounts", "balance", "acme", "--unlimited", "--json")
    assert json.loads(result.stdout)["balance"] is None
    assert balance_of(store, "acme") is None


def test_topping_up_an_unlimited_account_starts_from_zero(smsgate: Run, store: Database) -> None:
    assert smsgate("accounts", "create", "acme").returncode == 0
    assert smsgate("accounts", "balance", "acme", "--add", "5").returncode == 0
    assert balance_of(store, "acme") == 5_000_000


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("--set", "ten"), "'ten' is not an amount"),
        (("--set", "0.0000001"), "more than 6 decimal places"),
        (("--set", "-1"), "cannot be set below zero"),
        (("--add", "-1"), "below zero"),
        (("--set", "1", "--add", "1"), "Give one of --set, --add and --unlimited"),
    ],
)
def test_bad_amounts_exit_2_and_change_nothing(
    smsgate: Run, store: Database, args: tuple[str, ...], mentions: str
) -> None:
    assert smsgate("accounts", "create", "acme").returncode == 0
    assert_one_error_line(smsgate("accounts", "balance", "acme", *args), mentions)
    assert balance_of(store, "acme") is None


def test_an_unknown_account_exits_2(smsgate: Run) -> None:
    assert_one_error_line(smsgate("accounts", "balance", "nobody", "--set", "1"), "nobody")


PRICES = """
currency = "EUR"
default = "0.05"
[countries]
US = "0.0100"
[connectors.simulator]
default = "0.002"
[connectors.simulator.countries]
US = "0.0030"
"""


def test_usage_shows_price_and_connector_cost(
    smsgate: Run,
    cli_env: dict[str, str],
    start_gateway: Callable[..., RunningGateway],
    tmp_path: Path,
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    gateway = start_gateway(messages_price_file=str(prices))
    account = gateway.account("acme")
    gateway.add_number(account, SENDER)
    with gateway.client(account) as http:
        sent = http.post(
            "/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "x" * 200}
        ).json()

        def delivered() -> bool:
            found: httpx.Response = http.get(f"/v1/messages/{sent['id']}")
            return bool(found.json()["status"] == "delivered")

        wait_for(delivered)
    cli_env["SMSGATE_MESSAGES_PRICE_FILE"] = str(prices)
    result = smsgate("usage", "--account", "acme", "--json")
    assert result.returncode == 0, result.stderr
    today = datetime.now(UTC).date().isoformat()
    assert json.loads(result.stdout) == [
        {
            "day": today,
            "country": "US",
            "connector": "simulator",
            "messages": 1,
            "segments": 2,
            "price": "0.02",
            "cost": "0.006",
            "currency": "EUR",
        }
    ]
    table = smsgate("usage", "--start", today, "--end", today)
    assert table.returncode == 0, table.stderr
    assert "0.006 EUR" in table.stdout
    assert (
        json.loads(
            smsgate("usage", "--start", "2020-01-01", "--end", "2020-01-31", "--json").stdout
        )
        == []
    )
    assert_one_error_line(smsgate("usage", "--start", "soon"), "'soon' is not a day")

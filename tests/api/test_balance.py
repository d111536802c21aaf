"""Balances, refunds and usage, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from smsgate.store.balances import get_balance, set_balance
from smsgate.store.schema import messages
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for

US_PRICE = 7_900  # micros: the built-in table's 0.0079 USD a segment to the US
REFUSED = "+15005550001"  # the simulator refuses the submit_sm: failed before submission


def send(http: httpx.Client, **fields: Any) -> httpx.Response:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "your order shipped"} | fields
    return http.post("/v1/messages", json=payload)


def set_micros(gateway: RunningGateway, account: Credentials, micros: int | None) -> None:
    gateway.database.run_sync(
        lambda c: set_balance(c, account.account_id, micros), what="setting a balance"
    )


def balance(gateway: RunningGateway, account: Credentials) -> int | None:
    return gateway.database.run_sync(lambda c: get_balance(c, account.account_id))


def stored(gateway: RunningGateway, account: Credentials) -> int:
    return int(
        gateway.database.run_sync(
            lambda c: c.execute(
                select(func.count()).where(messages.c.account_id == account.account_id)
            ).scalar_one()
        )
    )


def reaches(http: httpx.Client, message_id: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found = http.get(f"/v1/messages/{message_id}").json()
        return found if found["status"] == status else None

    return dict(wait_for(reached))


def test_accounts_are_unlimited_by_default(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    shown = client.get("/v1/account").json()
    assert shown["balance"] is None
    assert shown["currency"] == "USD"
    assert send(client).status_code == 201
    assert balance(gateway, account) is None


def test_an_empty_balance_refuses_with_402_and_stores_nothing(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    set_micros(gateway, account, 0)
    assert client.get("/v1/account").json()["balance"] == "0.00"
    response = send(client)
    assert response.status_code == 402
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == 20003
    assert problem["title"] == "Insufficient balance"
    assert problem["detail"].startswith(
        "This message costs 0.0079 USD and the account's balance is 0.00 USD."
    )
    assert stored(gateway, account) == 0
    assert balance(gateway, account) == 0


def test_the_balance_pays_for_each_message_until_it_runs_out(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    set_micros(gateway, account, 2 * US_PRICE + 100)
    assert [send(client).status_code for _ in range(3)] == [201, 201, 402]
    assert balance(gateway, account) == 100
    assert client.get("/v1/account").json()["balance"] == "0.0001"
    # A long message costs a price per segment.
    set_micros(gateway, account, 2 * US_PRICE)
    assert send(client, body="x" * 161).status_code == 201  # two segments
    assert balance(gateway, account) == 0


def test_concurrent_sends_never_spend_more_than_the_balance(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    set_micros(gateway, account, 5 * US_PRICE)
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda n: send(client, body=f"m{n}").status_code, range(24)))
    assert sorted(codes) == [201] * 5 + [402] * 19
    assert balance(gateway, account) == 0
    assert stored(gateway, account) == 5


def test_an_idempotent_replay_is_not_charged_twice(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    set_micros(gateway, account, US_PRICE)
    headers = {"Idempotency-Key": "order-1"}
    payload = {"to": RECIPIENT, "from": SENDER, "body": "once"}
    first = client.post("/v1/messages", json=payload, headers=headers)
    again = client.post("/v1/messages", json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert balance(gateway, account) == 0


def test_a_message_refused_before_submission_is_refunded(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    set_micros(gateway, account, 10 * US_PRICE)
    refused = send(client, to=REFUSED).json()
    delivered = send(client).json()
    # Both were paid for (the refusal may already be refunded by now).
    assert balance(gateway, account) in (8 * US_PRICE, 9 * US_PRICE)
    assert reaches(client, refused["id"], "failed")["error_code"] == 30005
    reaches(client, delivered["id"], "delivered")
    wait_for(lambda: balance(gateway, account) == 9 * US_PRICE)


def test_canceled_and_expired_messages_are_refunded(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway(delivery_enabled="0")
    account = gateway.account("acme")
    gateway.add_number(account, SENDER)
    set_micros(gateway, account, 3 * US_PRICE)
    with gateway.client(account) as http:
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        scheduled = send(http, send_at=later).json()
        expiring = send(http, validity_period=1).json()
        assert balance(gateway, account) == US_PRICE
        assert http.post(f"/v1/messages/{scheduled['id']}/cancel").status_code == 200
        assert balance(gateway, account) == 2 * US_PRICE
        # A second cancel (409) gives nothing back twice.
        assert http.post(f"/v1/messages/{scheduled['id']}/cancel").status_code == 409
        assert balance(gateway, account) == 2 * US_PRICE
    # Its second of validity passes before any gateway delivers it.
    wait_for(
        lambda: (
            datetime.now(UTC)
            > datetime.fromisoformat(expiring["created_at"]) + timedelta(seconds=1)
        )
    )
    deliverer = start_gateway()
    with deliverer.client(account) as http:
        assert reaches(http, expiring["id"], "failed")["error_code"] == 30036
    assert balance(gateway, account) == 3 * US_PRICE


def test_usage_sums_by_day_and_country_after_refunds(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    today = datetime.now(UTC).date().isoformat()
    send(client)  # US, 1 segment
    send(client, body="y" * 200)  # US, 2 segments
    send(client, to="+447400123456")  # GB, 1 segment
    refused = send(client, to=REFUSED).json()  # US, refunded: counted, costs nothing
    reaches(client, refused["id"], "failed")

    def usage() -> list[dict[str, Any]]:
        answer = client.get(f"/v1/usage?start={today}&end={today}")
        assert answer.status_code == 200, answer.text
        return list(answer.json()["usage"])

    wait_for(lambda: usage()[1]["price"] == "0.0237")
    assert usage() == [
        {
            "day": today,
            "country": "GB",
            "messages": 1,
            "segments": 1,
            "price": "0.04",
            "currency": "USD",
        },
        {
            "day": today,
            "country": "US",
            "messages": 3,
            "segments": 4,
            "price": "0.0237",
            "currency": "USD",
        },
    ]
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert client.get(f"/v1/usage?start={yesterday}&end={yesterday}").json() == {"usage": []}
    assert len(client.get("/v1/usage").json()["usage"]) == 2  # this month by default


def test_usage_shows_only_your_own_messages(
    gateway: RunningGateway, account: Credentials, client: httpx.Client
) -> None:
    assert send(client).status_code == 201
    with gateway.client(gateway.account("stranger")) as stranger:
        assert stranger.get("/v1/usage").json() == {"usage": []}


def test_usage_refuses_a_bad_period(client: httpx.Client) -> None:
    backwards = client.get("/v1/usage?start=2026-11-02&end=2026-11-01")
    assert backwards.status_code == 400
    assert backwards.json()["field"] == "start"
    too_long = client.get("/v1/usage?start=2024-01-01&end=2026-01-01")
    assert too_long.status_code == 400
    assert too_long.json()["field"] == "end"
    not_a_day = client.get("/v1/usage?start=yesterday")
    assert not_a_day.status_code == 400
    assert not_a_day.json()["field"] == "start"

"""Per-account API request limits: 429 with the rate limit headers, nothing stored."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smsgate.store.messages import get_message
from smsgate.store.schema import messages
from tests.conftest import (
    RECIPIENT,
    SENDER,
    Credentials,
    RunningGateway,
    services_required,
    wait_for,
)

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Five requests in any second, and five in any five seconds: a tight loop of twenty
# requests gets exactly five through, however slow the machine.
TIGHT = {"limits_api_rate": "1", "limits_api_burst": "5", "limits_api_window": "5"}


def send(http: httpx.Client, body: str = "hello") -> httpx.Response:
    return http.post("/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": body})


def stored_count(gateway: RunningGateway, account: Credentials) -> int:
    return int(
        gateway.database.run_sync(
            lambda c: c.execute(
                select(func.count()).where(messages.c.account_id == account.account_id)
            ).scalar_one()
        )
    )


def assert_rate_limited(response: httpx.Response, limit: int, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == 20429
    assert problem["status"] == 429
    assert f"more than {limit} requests" in problem["detail"]
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    reset = int(response.headers["RateLimit-Reset"])
    assert 1 <= reset <= window
    assert int(response.headers["Retry-After"]) == reset


def test_a_burst_over_the_limit_gets_429s_and_the_accepted_ones_deliver(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway(**TIGHT)
    account = gateway.account("acme")
    gateway.add_number(account, SENDER)
    with gateway.client(account) as http:
        responses = [send(http, f"message {n}") for n in range(20)]
    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(accepted) == 5
    assert len(refused) == 15
    for response in refused:
        assert_rate_limited(response, limit=5, window=5)
    # Nothing of a refused request is stored.
    assert stored_count(gateway, account) == 5

    def status(message_id: str) -> str:
        return str(
            gateway.database.run_sync(
                lambda c: get_message(c, account.account_id, message_id)
            ).status
        )

    for response in accepted:
        wait_for(lambda r=response: status(r.json()["id"]) == "delivered")
    assert gateway.gateway.simulator is not None
    handset = gateway.gateway.simulator.handset(RECIPIENT)
    assert sorted(m.text for m in handset) == sorted(r.json()["body"] for r in accepted)


def test_the_limit_covers_every_endpoint_and_counts_each_account_apart(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway(**TIGHT)
    first, second = gateway.account("first"), gateway.account("second")
    with gateway.client(first) as http:
        answers = [http.get("/v1/whoami").status_code for _ in range(5)]
        assert answers == [200] * 5
        assert_rate_limited(http.get("/v1/whoami"), limit=5, window=5)  # the fast path
        assert_rate_limited(http.get("/v1/messages"), limit=5, window=5)  # FastAPI's routes
    with gateway.client(second) as http:
        assert http.get("/v1/whoami").status_code == 200
    with gateway.client() as anonymous:
        assert anonymous.get("/healthz").status_code == 200


def test_a_rate_of_zero_turns_the_limit_off(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway(limits_api_rate="0", limits_api_burst="1")
    with gateway.client(gateway.account("acme")) as http:
        assert {http.get("/v1/whoami").status_code for _ in range(10)} == {200}


@pytest.fixture
def redis_url() -> str:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as probe:
            probe.sendall(b"PING\r\n")
            answer = probe.recv(16)
    except OSError as exc:
        if services_required():
            pytest.fail(f"Redis is required (SMSGATE_REQUIRE_SERVICES=1) but: {exc}")
        pytest.skip(f"no Redis server answers at {REDIS_HOST}:{REDIS_PORT}")
    assert answer.startswith(b"+PONG"), answer
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.mark.redis
def test_with_redis_two_gateways_share_one_count(
    start_gateway: Callable[..., RunningGateway], redis_url: str
) -> None:
    first = start_gateway(redis_url=redis_url, **TIGHT)
    second = start_gateway(redis_url=redis_url, **TIGHT)
    account = first.account("acme")  # same database: the key works on both
    answers: list[Any] = []
    with first.client(account) as a, second.client(account) as b:
        for _ in range(4):
            answers.append(a.get("/v1/whoami"))
            answers.append(b.get("/v1/whoami"))
    assert [r.status_code for r in answers].count(200) == 5
    for response in answers:
        if response.status_code != 200:
            assert_rate_limited(response, limit=5, window=5)


def test_when_redis_does_not_answer_requests_pass(
    start_gateway: Callable[..., RunningGateway], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    gateway = start_gateway(redis_url=f"redis://127.0.0.1:{port}/0", **TIGHT)
    with gateway.client(gateway.account("acme")) as http:
        assert {http.get("/v1/whoami").status_code for _ in range(8)} == {200}
    assert "the rate limit store failed; requests pass unlimited" in caplog.text

"""Fault paths, provoked for real on loopback: a scripted server in front of the gateway
answers 429 or 503, loses the gateway's answer, or stalls; a closed port refuses."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from smsgate_client._retry import retry_after_seconds
from tests.client.conftest import FAST, FaultServer, Step, problem
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway


def client_for(url: str, account: Credentials, **kwargs: object) -> Client:
    options: dict[str, object] = {"retry": FAST, **kwargs}
    return Client(
        account.key_id,
        account.secret,
        base_url=url,
        default_from=SENDER,
        environ={},
        **options,  # type: ignore[arg-type]
    )


def stored(gateway: RunningGateway, account: Credentials) -> list[dict[str, object]]:
    with gateway.client(account) as http:
        return list(http.get("/v1/messages").json()["messages"])


def keys(faults: FaultServer) -> list[str]:
    return [s.headers["idempotency-key"] for s in faults.seen if s.path == "/v1/messages"]


def test_429_with_retry_after_then_success_sends_one_message(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    faults.script = [
        Step(429, {"Retry-After": "1"}, problem(429, 20429, "Slow down.")),
    ]
    started = time.monotonic()
    with client_for(faults.url, account) as client:
        message = client.messages.send(RECIPIENT, "after a 429")
    assert time.monotonic() - started >= 1.0, "Retry-After was not honoured"
    assert [m["id"] for m in stored(gateway, account)] == [message.id]
    sent_keys = keys(faults)
    assert len(sent_keys) == 2
    assert sent_keys[0] == sent_keys[1]


def test_503_twice_then_success_sends_one_message(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    faults.script = [Step(503, body=problem(503, 20500, "busy"))] * 2
    with client_for(faults.url, account) as client:
        message = client.messages.send(RECIPIENT, "after two 503s")
    assert [m["id"] for m in stored(gateway, account)] == [message.id]
    assert len(set(keys(faults))) == 1
    assert len(keys(faults)) == 3


def test_the_async_client_retries_alike(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    faults.script = [
        Step(503, body=problem(503, 20500, "busy")),
        Step(429, {"Retry-After": "0"}, problem(429, 20429, "Slow down.")),
    ]

    async def send() -> str:
        async with AsyncClient(
            account.key_id, account.secret, base_url=faults.url, default_from=SENDER,
            retry=FAST, environ={},
        ) as client:  # fmt: skip
            return (await client.messages.send(RECIPIENT, "async, third try")).id

    message_id = asyncio.run(send())
    assert [m["id"] for m in stored(gateway, account)] == [message_id]
    assert len(set(keys(faults))) == 1
    assert len(keys(faults)) == 3


def test_a_lost_answer_is_retried_without_sending_twice(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    # The gateway commits the message, but its 201 never reaches the client.
    faults.script = [Step(502, body=problem(502, 20500, "bad gateway"), forward=True)]
    with client_for(faults.url, account) as client:
        message = client.messages.send(RECIPIENT, "committed once")
    assert [m["id"] for m in stored(gateway, account)] == [message.id]
    assert len(keys(faults)) == 2


def test_a_stalled_answer_times_out_then_the_retry_sends_nothing_twice(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    faults.script = [Step(forward=True, delay=1.0)]
    with client_for(faults.url, account, timeout=0.3) as client:
        message = client.messages.send(RECIPIENT, "slow")
    assert [m["id"] for m in stored(gateway, account)] == [message.id]


def test_timeouts_past_the_cap_are_an_api_timeout_error(
    faults: FaultServer, account: Credentials
) -> None:
    faults.script = [Step(forward=True, delay=1.0)] * 2
    policy = RetryPolicy(max_attempts=2, backoff_base=0.01)
    with (
        client_for(faults.url, account, timeout=0.2, retry=policy) as client,
        pytest.raises(APITimeoutError) as caught,
    ):
        client.whoami()
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert len(faults.seen) == 2


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return super().handle_request(request)


def test_connection_refused_is_an_api_connection_error_after_the_cap(
    account: Credentials,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    transport = CountingTransport()
    with (
        client_for(url, account, transport=transport) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.messages.send(RECIPIENT, "nobody listens")
    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert url in str(caught.value)
    assert transport.attempts == FAST.max_attempts


def test_429_past_the_cap_is_a_rate_limit_error_with_retry_after(
    faults: FaultServer, gateway: RunningGateway, account: Credentials
) -> None:
    faults.script = [Step(429, {"Retry-After": "0"}, problem(429, 20429, "Slow down."))] * 4
    with client_for(faults.url, account) as client, pytest.raises(RateLimitError) as caught:
        client.messages.send(RECIPIENT, "never")
    assert caught.value.retry_after == 0
    assert caught.value.code == 20429
    assert stored(gateway, account) == []


def test_a_write_that_is_not_replay_safe_is_not_retried_after_a_5xx(
    faults: FaultServer, account: Credentials
) -> None:
    faults.script = [Step(503, body=problem(503, 20500, "busy"))]
    with client_for(faults.url, account) as client, pytest.raises(ServerError):
        client.numbers.create("+15005550010")
    assert len(faults.seen) == 1


def test_retry_after_too_long_for_the_budget_gives_up_at_once(
    faults: FaultServer, account: Credentials
) -> None:
    faults.script = [Step(429, {"Retry-After": "3600"}, problem(429, 20429, "Later."))]
    with client_for(faults.url, account) as client, pytest.raises(RateLimitError) as caught:
        client.whoami()
    assert caught.value.retry_after == 3600
    assert len(faults.seen) == 1


# The policy itself, pure.


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0))
def test_backoff_is_full_jitter_within_the_exponential_step(retry: int, seed: int) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8.0)
    wait = policy.backoff(retry, random.Random(seed))
    assert 0 <= wait <= min(8.0, 0.5 * 2 ** (retry - 1))


def test_delay_stops_at_the_attempt_and_time_caps() -> None:
    policy = RetryPolicy(max_attempts=3, total_timeout=10)
    assert policy.delay(1, 2.0, elapsed=0) == 2.0
    assert policy.delay(3, 2.0, elapsed=0) is None
    assert policy.delay(1, 2.0, elapsed=9) is None


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7
    assert retry_after_seconds(httpx.Headers({"Retry-After": date}), now) == 30
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None


def test_a_policy_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)

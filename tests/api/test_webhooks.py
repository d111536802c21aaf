"""Status webhooks: signed per Standard Webhooks, in order, retried, logged, redeliverable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import (
    RECIPIENT,
    SENDER,
    Credentials,
    RunningGateway,
    WebhookSink,
    wait_for,
)


@pytest.fixture
def private_gateway(start_gateway: Any) -> RunningGateway:
    """Webhooks to 127.0.0.1 (the sink) are allowed here, as `make run` allows them."""
    return start_gateway(webhook_allow_private="1")  # type: ignore[no-any-return]


@pytest.fixture
def acme(private_gateway: RunningGateway) -> Credentials:
    credentials = private_gateway.account("acme")
    private_gateway.add_number(credentials, SENDER)
    return credentials


def send(http: httpx.Client, **fields: Any) -> str:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "hello"} | fields
    response = http.post("/v1/messages", json=payload)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_each_status_change_arrives_signed_and_in_order(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    with private_gateway.client(acme) as http:
        secret = http.get("/v1/account").json()["webhook_secret"]
        message_id = send(http, status_callback=webhook_sink.url)
    wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
    assert webhook_sink.events(message_id) == ["sending", "sent", "delivered"]
    verifier = Webhook(secret)
    for received in webhook_sink.received:
        event = verifier.verify(received.body, received.headers)
        assert event["type"] == "message.status"
        assert event["data"]["to"] == RECIPIENT
        assert received.headers["webhook-id"].startswith("WH")
    ids = {r.headers["webhook-id"] for r in webhook_sink.received}
    assert len(ids) == 3


def test_the_account_default_url_is_used_without_a_status_callback(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    with private_gateway.client(acme) as http:
        patched = http.patch("/v1/account", json={"status_callback": webhook_sink.url})
        assert patched.status_code == 200
        assert patched.json()["status_callback"] == webhook_sink.url
        message_id = send(http)
    wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])


def test_a_failing_receiver_gets_the_event_again_and_every_attempt_is_logged(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    webhook_sink.script = [(500, {}), (500, {})]
    with private_gateway.client(acme) as http:
        message_id = send(http, status_callback=webhook_sink.url)
        wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
        first = webhook_sink.received[0].headers["webhook-id"]
        assert [r.headers["webhook-id"] for r in webhook_sink.received[:3]] == [first] * 3
        # Ordering: nothing later was sent while the first event was still failing.
        assert webhook_sink.events(message_id) == ["sending"] * 3 + ["sent", "delivered"]
        page = http.get("/v1/webhook-deliveries", params={"message_id": message_id}).json()
    (failing,) = [d for d in page["deliveries"] if d["id"] == first]
    assert failing["status"] == "delivered"
    assert [a["status_code"] for a in failing["log"]] == [500, 500, 200]
    assert failing["log"][0]["response_excerpt"] == "status 500"
    assert all(a["latency_ms"] >= 0 for a in failing["log"])


def test_a_receiver_that_does_not_answer_in_time_gets_the_event_again(
    start_gateway: Any, webhook_sink: WebhookSink
) -> None:
    gateway = start_gateway(webhook_allow_private="1", webhook_timeout="0.3")
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    webhook_sink.delays = [3.0]  # far past the timeout: the first attempt must give up on it
    with gateway.client(credentials) as http:
        message_id = send(http, status_callback=webhook_sink.url)
        wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
        page = http.get("/v1/webhook-deliveries", params={"message_id": message_id}).json()
    (retried,) = [d for d in page["deliveries"] if len(d["log"]) == 2]
    gave_up, answered = retried["log"]
    assert gave_up["status_code"] is None
    assert gave_up["error"] == "No answer within 0.3 s."
    assert 300 <= gave_up["latency_ms"] < 3000
    assert answered["status_code"] == 200
    assert retried["status"] == "delivered"


def test_410_gone_disables_the_endpoint_and_redeliver_revives_it(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    webhook_sink.script = [(410, {})]
    with private_gateway.client(acme) as http:
        message_id = send(http, status_callback=webhook_sink.url)

        def settled() -> list[dict[str, Any]] | None:
            page = http.get("/v1/webhook-deliveries", params={"message_id": message_id}).json()
            deliveries: list[dict[str, Any]] = page["deliveries"]
            done = len(deliveries) == 3 and all(
                d["status"] in ("disabled", "delivered") for d in deliveries
            )
            return deliveries if done else None

        deliveries = wait_for(settled)
        assert {d["status"] for d in deliveries} == {"disabled"}
        assert len(webhook_sink.received) == 1
        again = http.post(f"/v1/webhook-deliveries/{deliveries[-1]['id']}/redeliver")
        assert again.status_code == 202
        wait_for(lambda: len(webhook_sink.received) == 2)
        assert http.post("/v1/webhook-deliveries/WHnope/redeliver").status_code == 404


def test_retry_after_is_honoured(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    webhook_sink.script = [(503, {"Retry-After": "1"})]
    with private_gateway.client(acme) as http:
        message_id = send(http, status_callback=webhook_sink.url)
        wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
        page = http.get("/v1/webhook-deliveries", params={"message_id": message_id}).json()
    (retried,) = [d for d in page["deliveries"] if len(d["log"]) == 2]
    first, second = (a["at"] for a in retried["log"])
    from datetime import datetime

    gap = datetime.fromisoformat(second) - datetime.fromisoformat(first)
    assert gap.total_seconds() >= 1.0


def test_another_account_sees_no_deliveries(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    with private_gateway.client(acme) as http:
        message_id = send(http, status_callback=webhook_sink.url)
        wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
        some = http.get("/v1/webhook-deliveries").json()["deliveries"][0]["id"]
    other = private_gateway.account("other")
    with private_gateway.client(other) as stranger:
        assert stranger.get("/v1/webhook-deliveries").json()["deliveries"] == []
        assert stranger.post(f"/v1/webhook-deliveries/{some}/redeliver").status_code == 404


def test_private_urls_are_refused_unless_allowed(
    gateway: RunningGateway, account: Credentials
) -> None:
    with gateway.client(account) as http:
        response = http.patch("/v1/account", json={"status_callback": "http://169.254.169.254/x"})
        assert response.status_code == 400
        assert response.json()["field"] == "status_callback"
        assert http.get("/v1/account").json()["status_callback"] is None


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> None:
    elsewhere = WebhookSink().start()
    try:
        webhook_sink.script = [(307, {"Location": elsewhere.url})]
        with private_gateway.client(acme) as http:
            message_id = send(http, status_callback=webhook_sink.url)
            wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
            page = http.get("/v1/webhook-deliveries", params={"message_id": message_id}).json()
        (redirected,) = [d for d in page["deliveries"] if len(d["log"]) == 2]
        assert [a["status_code"] for a in redirected["log"]] == [307, 200]
        assert elsewhere.received == []
    finally:
        elsewhere.stop()

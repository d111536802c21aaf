"""send_at, cancel and the queue cap, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from smsgate.store.schema import messages
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, WebhookSink, wait_for

# Scheduling tests may ask for one second ahead instead of five minutes.
SHORT_LEAD = {"messages_schedule_min_lead": "1"}


def send(http: httpx.Client, **fields: Any) -> httpx.Response:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "see you soon"} | fields
    return http.post("/v1/messages", json=payload)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def status_of(http: httpx.Client, message_id: str) -> dict[str, Any]:
    return dict(http.get(f"/v1/messages/{message_id}").json())


def reaches(http: httpx.Client, message_id: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found = status_of(http, message_id)
        return found if found["status"] == status else None

    return dict(wait_for(reached))


def started(
    start_gateway: Callable[..., RunningGateway], **overrides: str
) -> tuple[RunningGateway, Credentials]:
    gateway = start_gateway(**overrides)
    account = gateway.account("acme")
    gateway.add_number(account, SENDER)
    return gateway, account


def test_a_scheduled_message_waits_then_is_sent(
    start_gateway: Callable[..., RunningGateway], webhook_sink: WebhookSink
) -> None:
    gateway, account = started(start_gateway, webhook_allow_private="1", **SHORT_LEAD)
    send_at = datetime.now(UTC) + timedelta(seconds=3)
    with gateway.client(account) as http:
        response = send(http, send_at=iso(send_at), status_callback=webhook_sink.url)
        assert response.status_code == 201, response.text
        message = response.json()
        assert message["status"] == "scheduled"
        assert message["send_at"] == send_at.isoformat(timespec="microseconds").replace(
            "+00:00", "Z"
        )
        assert status_of(http, message["id"])["status"] == "scheduled"

        found = reaches(http, message["id"], "delivered")
    events = found["events"]
    assert [e["status"] for e in events] == ["scheduled", "queued", "sending", "sent", "delivered"]
    queued_at = datetime.fromisoformat(events[1]["at"])
    assert queued_at >= send_at  # not a moment before it was asked for
    wait_for(lambda: "delivered" in webhook_sink.events(message["id"]))
    assert webhook_sink.events(message["id"])[:2] == ["queued", "sending"]


def test_a_scheduled_message_becomes_due_at_send_at_in_the_store(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    # The default lead (5 minutes): move the due time instead of waiting for it.
    gateway, account = started(start_gateway)
    with gateway.client(account) as http:
        send_at = datetime.now(UTC) + timedelta(minutes=6)
        message = send(http, send_at=iso(send_at)).json()
        assert message["status"] == "scheduled"
        gateway.database.run_sync(
            lambda c: c.execute(
                update(messages)
                .where(messages.c.id == message["id"])
                .values(next_attempt_at=datetime.now(UTC))
            ),
            what="moving the due time",
        )
        gateway.gateway.dispatcher.wake()
        found = reaches(http, message["id"], "delivered")
    assert found["send_at"] is not None


@pytest.mark.parametrize(
    ("ahead", "mentions"),
    [
        (timedelta(minutes=4), "from 5 minutes to 35 days ahead"),
        (timedelta(days=36), "from 5 minutes to 35 days ahead"),
        (timedelta(minutes=-10), "from 5 minutes to 35 days ahead"),
    ],
)
def test_send_at_outside_the_window_is_refused(
    client: httpx.Client, gateway: RunningGateway, ahead: timedelta, mentions: str
) -> None:
    response = send(client, send_at=iso(datetime.now(UTC) + ahead))
    assert response.status_code == 400
    problem = response.json()
    assert problem["field"] == "send_at"
    assert problem["code"] == 21620
    assert mentions in problem["detail"]
    assert client.get("/v1/messages").json()["messages"] == []


def test_preview_checks_send_at_and_stores_nothing(client: httpx.Client) -> None:
    send_at = datetime.now(UTC) + timedelta(days=2)
    payload = {"to": RECIPIENT, "from": SENDER, "body": "hi", "send_at": iso(send_at)}
    preview = client.post("/v1/messages/preview", json=payload)
    assert preview.status_code == 200, preview.text
    assert preview.json()["send_at"] == send_at.isoformat(timespec="microseconds").replace(
        "+00:00", "Z"
    )
    too_soon = payload | {"send_at": iso(datetime.now(UTC) + timedelta(minutes=1))}
    assert client.post("/v1/messages/preview", json=too_soon).json()["field"] == "send_at"
    assert client.get("/v1/messages").json()["messages"] == []


def test_send_at_without_a_time_zone_or_not_a_time_is_refused(client: httpx.Client) -> None:
    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    response = send(client, send_at=naive)
    assert response.status_code == 400
    assert response.json()["field"] == "send_at"
    assert "time zone" in response.json()["detail"]
    response = send(client, send_at="tomorrow")
    assert response.status_code == 400
    assert response.json()["field"] == "send_at"


def test_cancel_a_scheduled_message(
    start_gateway: Callable[..., RunningGateway], webhook_sink: WebhookSink
) -> None:
    gateway, account = started(start_gateway, webhook_allow_private="1")
    with gateway.client(account) as http:
        send_at = datetime.now(UTC) + timedelta(hours=1)
        message = send(http, send_at=iso(send_at), status_callback=webhook_sink.url).json()
        response = http.post(f"/v1/messages/{message['id']}/cancel")
        assert response.status_code == 200, response.text
        canceled = response.json()
        assert canceled["status"] == "canceled"
        assert [e["status"] for e in canceled["events"]] == ["scheduled", "canceled"]
        wait_for(lambda: webhook_sink.events(message["id"]) == ["canceled"])
        # Canceled is final: a second cancel is too late.
        again = http.post(f"/v1/messages/{message['id']}/cancel")
        assert again.status_code == 409
        assert again.json()["code"] == 20409
        assert "canceled" in again.json()["detail"]
        # Moving its due time changes nothing: it is never claimed.
        gateway.database.run_sync(
            lambda c: c.execute(
                update(messages)
                .where(messages.c.id == message["id"])
                .values(next_attempt_at=datetime.now(UTC))
            ),
            what="moving the due time",
        )
        gateway.gateway.dispatcher.wake()
        assert status_of(http, message["id"])["status"] == "canceled"
    assert gateway.gateway.simulator is not None
    assert gateway.gateway.simulator.handset(RECIPIENT) == []


def test_cancel_a_queued_message_and_not_a_delivered_one(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway, account = started(start_gateway, delivery_enabled="0")
    with gateway.client(account) as http:
        queued = send(http).json()
        response = http.post(f"/v1/messages/{queued['id']}/cancel")
        assert response.status_code == 200
        assert response.json()["status"] == "canceled"
    # Another gateway on the same store delivers what is left; a delivered message
    # cannot be canceled.
    deliverer = start_gateway()
    with deliverer.client(account) as http:
        sent = send(http).json()
        reaches(http, sent["id"], "delivered")
        late = http.post(f"/v1/messages/{sent['id']}/cancel")
        assert late.status_code == 409
        assert late.headers["content-type"] == "application/problem+json"
        assert "delivered" in late.json()["detail"]
        assert status_of(http, queued["id"])["status"] == "canceled"


def test_another_accounts_message_cannot_be_canceled(
    gateway: RunningGateway, client: httpx.Client
) -> None:
    message = send(client, send_at=iso(datetime.now(UTC) + timedelta(hours=1))).json()
    with gateway.client(gateway.account("intruder")) as intruder:
        response = intruder.post(f"/v1/messages/{message['id']}/cancel")
        assert response.status_code == 404
        assert response.json()["code"] == 20404
        assert intruder.post("/v1/messages/SMnothing/cancel").status_code == 404
    assert client.get(f"/v1/messages/{message['id']}").json()["status"] == "scheduled"


def test_a_message_that_expires_before_submission_fails_with_the_expiry_code(
    start_gateway: Callable[..., RunningGateway], webhook_sink: WebhookSink
) -> None:
    gateway, account = started(start_gateway, webhook_allow_private="1", delivery_enabled="0")
    with gateway.client(account) as http:
        message = send(http, validity_period=1, status_callback=webhook_sink.url).json()
    # Let its validity run out in the store, then start a gateway that delivers.
    gateway.database.run_sync(
        lambda c: c.execute(
            update(messages)
            .where(messages.c.id == message["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        ),
        what="expiring",
    )
    deliverer = start_gateway(webhook_allow_private="1")
    with deliverer.client(account) as http:
        found = reaches(http, message["id"], "failed")
    assert found["error_code"] == 30036
    assert [e["status"] for e in found["events"]] == ["queued", "failed"]
    wait_for(lambda: webhook_sink.events(message["id"]) == ["failed"])


def test_queue_cap_refuses_with_429_and_stores_nothing(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway, account = started(start_gateway, delivery_enabled="0", limits_queue_cap="3")
    with gateway.client(account) as http:
        for _ in range(3):
            assert send(http).status_code == 201
        response = send(http)
        assert response.status_code == 429
        problem = response.json()
        assert problem["code"] == 30001
        assert problem["title"] == "Queue full"
        assert "3 messages waiting" in problem["detail"]
        # Scheduled messages are not waiting in the queue: they are still taken.
        later = send(http, send_at=iso(datetime.now(UTC) + timedelta(hours=1)))
        assert later.status_code == 201
        assert len(http.get("/v1/messages").json()["messages"]) == 4
        # Canceling one makes room once the count is read again (at most a second).
        first = http.get("/v1/messages?status=queued").json()["messages"][0]
        assert http.post(f"/v1/messages/{first['id']}/cancel").status_code == 200
        wait_for(lambda: send(http).status_code == 201, timeout=5, interval=0.2)


def test_queue_cap_counts_what_is_in_the_store_after_a_restart(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    first, account = started(start_gateway, delivery_enabled="0", limits_queue_cap="2")
    with first.client(account) as http:
        assert [send(http).status_code for _ in range(2)] == [201, 201]
    second = start_gateway(delivery_enabled="0", limits_queue_cap="2")
    with second.client(account) as http:
        assert send(http).status_code == 429

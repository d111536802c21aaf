"""Two-way messaging end to end, over real SMPP to the simulator: handset replies arrive as
inbound messages and signed webhooks, long replies arrive whole (also across a restart),
and STOP / START / HELP work as the law expects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import RECIPIENT, Credentials, RunningGateway, WebhookSink, wait_for

NUMBER = "+15005550006"
UCS2_REPLY = "Thanks! 👍 Ünïcödé ✓ " * 9  # 171 UTF-16 units: three UCS-2 segments


@pytest.fixture
def private_gateway(start_gateway: Any) -> RunningGateway:
    """Webhooks to 127.0.0.1 (the sink) are allowed here, as `make run` allows them."""
    return start_gateway(webhook_allow_private="1")  # type: ignore[no-any-return]


@pytest.fixture
def acme(private_gateway: RunningGateway) -> Credentials:
    return private_gateway.account("acme")


@pytest.fixture
def http(
    private_gateway: RunningGateway, acme: Credentials, webhook_sink: WebhookSink
) -> Iterator[httpx.Client]:
    with private_gateway.client(acme) as client:
        created = client.post(
            "/v1/numbers", json={"number": NUMBER, "inbound_url": webhook_sink.url}
        )
        assert created.status_code == 201, created.text
        yield client


def handset_texts(http: httpx.Client, body: str, **extra: Any) -> None:
    answer = http.post(
        "/simulator/inbound", json={"from": RECIPIENT, "to": NUMBER, "body": body, **extra}
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"]


def inbound(http: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get("/v1/messages", params={"direction": "inbound"}).json()[
        "messages"
    ]
    return found


def handset_inbox(http: httpx.Client) -> list[str]:
    return [m["body"] for m in http.get(f"/simulator/handsets/{RECIPIENT}").json()["messages"]]


def received_events(sink: WebhookSink) -> list[dict[str, Any]]:
    return [w.json() for w in sink.received if w.json()["type"] == "message.received"]


def test_a_reply_arrives_as_a_signed_webhook_with_its_body(
    http: httpx.Client, webhook_sink: WebhookSink
) -> None:
    handset_texts(http, "Yes, 3pm works")
    (received,) = wait_for(lambda: [w for w in webhook_sink.received])
    secret = http.get("/v1/account").json()["webhook_secret"]
    event = Webhook(secret).verify(received.body, received.headers)
    assert event["type"] == "message.received"
    data = event["data"]
    assert (data["from"], data["to"], data["body"]) == (RECIPIENT, NUMBER, "Yes, 3pm works")
    assert (data["direction"], data["status"]) == ("inbound", "received")
    assert (data["keyword"], data["partial"]) == (None, False)
    (message,) = inbound(http)
    assert message["id"] == data["id"]
    assert (message["keyword"], message["partial"]) == (None, False)


@pytest.mark.parametrize("concatenation", ["udh8", "udh16", "sar"])
def test_a_three_part_ucs2_reply_arrives_as_one_message(
    http: httpx.Client, webhook_sink: WebhookSink, concatenation: str
) -> None:
    # Out of order, as networks do.
    handset_texts(http, UCS2_REPLY, parts=[3, 1, 2], concatenation=concatenation)
    (event,) = wait_for(lambda: received_events(webhook_sink))
    assert event["data"]["body"] == UCS2_REPLY
    assert event["data"]["segments"] == 3
    (message,) = inbound(http)
    assert (message["body"], message["encoding"], message["segments"]) == (
        UCS2_REPLY,
        "UCS-2",
        3,
    )


def test_parts_straddling_a_restart_still_make_one_message(
    start_gateway: Any, webhook_sink: WebhookSink
) -> None:
    first: RunningGateway = start_gateway(webhook_allow_private="1")
    acme = first.account("acme")
    with first.client(acme) as http:
        assert http.post("/v1/numbers", json={"number": NUMBER}).status_code == 201
        # deliver_sm_resp comes only after the part is committed: these two are safe.
        handset_texts(http, UCS2_REPLY, parts=[1, 3], reference=77)
        assert inbound(http) == []
    first.stop()

    second: RunningGateway = start_gateway(webhook_allow_private="1")
    with second.client(acme) as http:
        handset_texts(http, UCS2_REPLY, parts=[2], reference=77)
        (message,) = wait_for(lambda: inbound(http))
    assert message["body"] == UCS2_REPLY
    assert message["partial"] is False


def test_parts_that_never_come_are_delivered_flagged_after_the_timeout(
    start_gateway: Any, webhook_sink: WebhookSink
) -> None:
    running: RunningGateway = start_gateway(
        webhook_allow_private="1", inbound_reassembly_timeout="0.3"
    )
    acme = running.account("acme")
    with running.client(acme) as http:
        http.post("/v1/numbers", json={"number": NUMBER, "inbound_url": webhook_sink.url})
        handset_texts(http, "first part of a long text. " * 7, parts=[1])
        (event,) = wait_for(lambda: received_events(webhook_sink))
        (message,) = inbound(http)
    assert event["data"]["partial"] is True
    assert message["partial"] is True
    assert message["body"] == ("first part of a long text. " * 7)[:153]
    assert message["error_message"].startswith("Only part(s) 1 of 2 arrived")


def test_stop_opts_out_confirms_and_later_sends_get_21610(
    http: httpx.Client, webhook_sink: WebhookSink
) -> None:
    handset_texts(http, "  Stop! ")
    (event,) = wait_for(lambda: received_events(webhook_sink))
    assert event["data"]["keyword"] == "stop"
    (confirmation,) = wait_for(lambda: handset_inbox(http))
    assert "unsubscribed" in confirmation
    (entry,) = http.get("/v1/opt-outs").json()["opt_outs"]
    assert entry == {
        "phone": RECIPIENT,
        "number": NUMBER,
        "source": "keyword",
        "created_at": entry["created_at"],
    }

    def message_ids() -> list[str]:
        return [m["id"] for m in http.get("/v1/messages").json()["messages"]]

    before = message_ids()
    refused = http.post("/v1/messages", json={"to": RECIPIENT, "from": NUMBER, "body": "Hi"})
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == (21610, "to")
    assert message_ids() == before  # nothing stored

    handset_texts(http, "start")
    wait_for(lambda: len(handset_inbox(http)) == 2)
    assert "subscribed again" in handset_inbox(http)[1]
    assert http.get("/v1/opt-outs").json()["opt_outs"] == []
    again = http.post("/v1/messages", json={"to": RECIPIENT, "from": NUMBER, "body": "Hi"})
    assert again.status_code == 201, again.text
    actions = [(e["action"], e["source"]) for e in http.get("/v1/opt-outs/events").json()["events"]]
    assert actions == [("opt_out", "keyword"), ("opt_in", "keyword")]


def test_help_answers_with_the_numbers_help_text(http: httpx.Client) -> None:
    number_id = http.get("/v1/numbers").json()["numbers"][0]["id"]
    patched = http.patch(
        f"/v1/numbers/{number_id}", json={"keyword_replies": {"help": "Acme: call 555-0100."}}
    )
    assert patched.status_code == 200, patched.text
    handset_texts(http, "HELP")
    assert wait_for(lambda: handset_inbox(http)) == ["Acme: call 555-0100."]
    assert http.get("/v1/opt-outs").json()["opt_outs"] == []


def test_stop_please_is_just_a_message(http: httpx.Client) -> None:
    handset_texts(http, "STOP PLEASE")
    (message,) = wait_for(lambda: inbound(http))
    assert message["keyword"] is None
    assert http.get("/v1/opt-outs").json()["opt_outs"] == []


def test_account_scope_opts_out_of_every_number(start_gateway: Any) -> None:
    running: RunningGateway = start_gateway(messages_opt_out_scope="account")
    acme = running.account("acme")
    with running.client(acme) as http:
        http.post("/v1/numbers", json={"number": NUMBER})
        http.post("/v1/numbers", json={"number": "+15005550007"})
        handset_texts(http, "STOP")
        wait_for(lambda: http.get("/v1/opt-outs").json()["opt_outs"])
        (entry,) = http.get("/v1/opt-outs").json()["opt_outs"]
        assert entry["number"] is None
        other = http.post(
            "/v1/messages", json={"to": RECIPIENT, "from": "+15005550007", "body": "Hi"}
        )
        assert other.json()["code"] == 21610


def test_a_conversation_reads_both_ways_in_time_order(http: httpx.Client) -> None:
    sent = http.post("/v1/messages", json={"to": RECIPIENT, "from": NUMBER, "body": "Lunch?"})
    assert sent.status_code == 201
    handset_texts(http, "Sure")
    wait_for(lambda: inbound(http))
    http.post("/v1/messages", json={"to": RECIPIENT, "from": NUMBER, "body": "Great"})
    thread = http.get(f"/v1/conversations/{NUMBER}/{RECIPIENT}")
    assert thread.status_code == 200
    assert [(m["direction"], m["body"]) for m in thread.json()["messages"]] == [
        ("outbound-api", "Lunch?"),
        ("inbound", "Sure"),
        ("outbound-api", "Great"),
    ]
    page = http.get(f"/v1/conversations/{NUMBER}/{RECIPIENT}", params={"limit": 2}).json()
    assert page["has_more"] is True
    rest = http.get(
        f"/v1/conversations/{NUMBER}/{RECIPIENT}", params={"cursor": page["next_cursor"]}
    ).json()
    assert [m["body"] for m in rest["messages"]] == ["Great"]
    assert http.get(f"/v1/conversations/+15005550009/{RECIPIENT}").status_code == 404


def test_another_account_sees_no_inbound_or_conversation(
    private_gateway: RunningGateway, http: httpx.Client
) -> None:
    handset_texts(http, "private")
    wait_for(lambda: inbound(http))
    stranger = private_gateway.account("other")
    with private_gateway.client(stranger) as other:
        assert inbound(other) == []
        assert other.get(f"/v1/conversations/{NUMBER}/{RECIPIENT}").status_code == 404


def test_a_numbers_status_callback_gets_its_messages_status_webhooks(
    http: httpx.Client, webhook_sink: WebhookSink
) -> None:
    number_id = http.get("/v1/numbers").json()["numbers"][0]["id"]
    http.patch(f"/v1/numbers/{number_id}", json={"status_callback": webhook_sink.url})
    sent = http.post("/v1/messages", json={"to": RECIPIENT, "from": NUMBER, "body": "Hi"})
    message_id = sent.json()["id"]
    wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
    assert webhook_sink.events(message_id) == ["sending", "sent", "delivered"]

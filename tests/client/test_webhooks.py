"""`webhooks.verify` against signatures it did not make: the `standardwebhooks` package's,
the gateway's own signer, and a real webhook sent by a running gateway."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from smsgate.webhooks.signing import signed_headers
from smsgate_client import Client, WebhookVerificationError, webhooks
from tests.conftest import RECIPIENT, WebhookSink, wait_for

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes!!!!").decode()
OTHER = "whsec_" + base64.b64encode(b"another secret, thirty-two bytes").decode()
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BODY = json.dumps(
    {"type": "message.status", "timestamp": "2026-11-29T12:00:00.000000Z",
     "data": {"id": "SM1", "status": "delivered", "to": RECIPIENT, "from": "+15005550006"}}
)  # fmt: skip


def library_headers(body: str, secret: str = SECRET, at: datetime = NOW) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", at, body),
    }


def test_a_webhook_signed_by_the_standardwebhooks_package_verifies() -> None:
    event = webhooks.verify(BODY.encode(), library_headers(BODY), SECRET, now=NOW.timestamp())
    assert (event.id, event.type) == ("msg_1", "message.status")
    assert event.message.status == "delivered"
    assert event.message.to == RECIPIENT
    assert event.timestamp == NOW


def test_during_a_rotation_either_secret_verifies_the_gateways_two_signatures() -> None:
    headers = signed_headers("msg_2", NOW, BODY, [OTHER, SECRET])
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (SECRET, OTHER):
        assert webhooks.verify(BODY, headers, secret, now=NOW.timestamp()).id == "msg_2"


def test_header_names_are_matched_whatever_their_case() -> None:
    headers = {k.title(): v for k, v in library_headers(BODY).items()}
    assert webhooks.verify(BODY, headers, SECRET, now=NOW.timestamp()).id == "msg_1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: (h, b.replace("delivered", "failed")), "No webhook signature matches"),
        (lambda h, b: ({**h, "webhook-id": "msg_9"}, b), "No webhook signature matches"),
        (lambda h, b: ({**h, "webhook-signature": "v2,abc"}, b), "No webhook signature matches"),
        (lambda h, b: ({**h, "webhook-signature": "v1,***"}, b), "No webhook signature matches"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "webhook-id"),
        (lambda h, b: ({**h, "webhook-timestamp": "noon"}, b), "not Unix seconds"),
    ],
)
def test_anything_changed_is_refused(change: object, message: str) -> None:
    headers, body = change(library_headers(BODY), BODY)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError, match=message):
        webhooks.verify(body, headers, SECRET, now=NOW.timestamp())


def test_the_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        webhooks.verify(BODY, library_headers(BODY), OTHER, now=NOW.timestamp())


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_more_than_five_minutes_away_is_refused(offset: timedelta) -> None:
    headers = library_headers(BODY, at=NOW + offset)
    with pytest.raises(WebhookVerificationError, match="more than the 300 s"):
        webhooks.verify(BODY, headers, SECRET, now=NOW.timestamp())
    edge = library_headers(BODY, at=NOW + offset / 6 * 5)  # five minutes: still accepted
    assert webhooks.verify(BODY, edge, SECRET, now=NOW.timestamp())


def test_a_secret_that_is_not_base64_says_where_to_find_the_right_one() -> None:
    with pytest.raises(WebhookVerificationError, match="GET /v1/account"):
        webhooks.verify(BODY, library_headers(BODY), "whsec_not base64!", now=NOW.timestamp())


def test_our_sign_is_accepted_by_the_standardwebhooks_package() -> None:
    headers = webhooks.sign(BODY, SECRET, webhook_id="msg_3", timestamp=datetime.now(UTC))
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(
    payload=st.dictionaries(st.text(), json_values, max_size=5),
    key=st.binary(min_size=1, max_size=64),
    webhook_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1),
    flip=st.integers(min_value=0),
)
def test_any_signed_body_verifies_and_any_changed_byte_does_not(
    payload: dict[str, object], key: bytes, webhook_id: str, flip: int
) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    body = json.dumps(payload).encode()
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(NOW.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, NOW, body.decode()),
    }
    assert webhooks.verify(body, headers, secret, now=NOW.timestamp()).id == webhook_id
    changed = bytearray(body)
    changed[flip % len(changed)] ^= 0x01
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(bytes(changed), headers, secret, now=NOW.timestamp())


def test_a_real_webhook_from_the_gateway_verifies_with_the_accounts_secret(
    sdk: Client, webhook_sink: WebhookSink
) -> None:
    secret = sdk.account.get().webhook_secret
    assert secret is not None
    sent = sdk.messages.send(RECIPIENT, "verify me", status_callback=webhook_sink.url)
    wait_for(lambda: "delivered" in webhook_sink.events(sent.id))
    for received in webhook_sink.received:
        event = webhooks.verify(received.body, received.headers, secret)
        assert event.type == "message.status"
        assert event.message.id == sent.id
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(webhook_sink.received[0].body, webhook_sink.received[0].headers, OTHER)

"""The SDK against a real gateway over HTTP: what it sends is what the gateway stores, and
what the gateway answers comes back typed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from smsgate_client import (
    AsyncClient,
    AuthenticationError,
    Client,
    InvalidRequestError,
    Message,
    NotFoundError,
)
from tests.client.conftest import FAST
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, WebhookSink, wait_for


def test_send_returns_the_committed_message(
    sdk: Client, gateway: RunningGateway, account: Credentials
) -> None:
    message = sdk.messages.send(RECIPIENT, "Your code is 123456")
    assert isinstance(message, Message)
    assert message.id.startswith("SM")
    assert (message.to, message.from_, message.body) == (RECIPIENT, SENDER, "Your code is 123456")
    assert message.status == "queued"
    assert message.segments == 1
    assert message.price == Decimal("0.0079")
    with gateway.client(account) as http:
        stored = http.get(f"/v1/messages/{message.id}").json()
    assert stored["body"] == "Your code is 123456"


def test_get_follows_the_message_to_delivered_with_its_history(sdk: Client) -> None:
    sent = sdk.messages.send(RECIPIENT, "hello")
    delivered = wait_for(lambda: (m := sdk.messages.get(sent.id)).status == "delivered" and m)
    assert delivered.id == sent.id
    assert [e.status for e in delivered.events][:1] == ["queued"]
    assert delivered.events[-1].status == "delivered"
    assert delivered.created_at is not None
    assert delivered.created_at.tzinfo is not None


def test_list_pages_by_itself_newest_first(sdk: Client) -> None:
    sent = [sdk.messages.send(RECIPIENT, f"message {i}").id for i in range(5)]
    listed = [m.id for m in sdk.messages.list(page_size=2)]
    assert listed == list(reversed(sent))
    assert [m.id for m in sdk.messages.list(to=RECIPIENT, page_size=1000)] == listed
    assert list(sdk.messages.list(to="+14155550000")) == []


def test_an_explicit_idempotency_key_gives_back_the_same_message(sdk: Client) -> None:
    first = sdk.messages.send(RECIPIENT, "once", idempotency_key="order-42")
    again = sdk.messages.send(RECIPIENT, "once", idempotency_key="order-42")
    assert again.id == first.id
    assert [m.id for m in sdk.messages.list()] == [first.id]


def test_send_options_reach_the_gateway(sdk: Client, webhook_sink: WebhookSink) -> None:
    message = sdk.messages.send(
        RECIPIENT,
        "Its \u201cquoted\u201d",
        validity_period=600,
        smart_encoding=False,
        status_callback=webhook_sink.url,
    )
    stored = sdk.messages.get(message.id)
    assert (stored.validity_period, stored.status_callback) == (600, webhook_sink.url)
    assert stored.encoding == "UCS-2"


def test_each_send_without_a_key_is_a_new_message(sdk: Client) -> None:
    first = sdk.messages.send(RECIPIENT, "same text")
    second = sdk.messages.send(RECIPIENT, "same text")
    assert first.id != second.id


def test_preview_sends_nothing(sdk: Client) -> None:
    preview = sdk.messages.preview(RECIPIENT, "It\u2019s \u201csmart\u201d")
    assert preview.encoding == "GSM-7"
    assert preview.body == 'It\'s "smart"'
    assert preview.segments == len(preview.parts) == 1
    assert list(sdk.messages.list()) == []


def test_a_bad_number_is_an_invalid_request_with_code_and_field(sdk: Client) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        sdk.messages.send("+1 (415) 555-2671", "hi")
    assert caught.value.code == 21211
    assert caught.value.field == "to"
    assert caught.value.status == 400
    assert "'+14155552671'" in caught.value.detail
    assert list(sdk.messages.list()) == []


def test_a_sender_that_is_not_ours_is_21606(sdk: Client) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        sdk.messages.send(RECIPIENT, "hi", from_="+15005550009")
    assert (caught.value.code, caught.value.field) == (21606, "from")


def test_no_sender_at_all_is_refused_before_sending(gateway: RunningGateway) -> None:
    with (
        Client("SKx", "y", base_url=gateway.base_url, environ={}) as client,
        pytest.raises(InvalidRequestError, match="from_"),
    ):
        client.messages.send(RECIPIENT, "hi")


def test_wrong_secret_is_an_authentication_error(
    gateway: RunningGateway, account: Credentials
) -> None:
    with (
        Client(account.key_id, "wrong", base_url=gateway.base_url, environ={}) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.whoami()
    assert caught.value.status == 401


def test_another_accounts_message_is_not_found(sdk: Client, gateway: RunningGateway) -> None:
    other = gateway.account("other")
    gateway.add_number(other, "+15005550007")
    with Client(other.key_id, other.secret, base_url=gateway.base_url, environ={}) as theirs:
        their_message = theirs.messages.send(RECIPIENT, "theirs", from_="+15005550007")
    with pytest.raises(NotFoundError):
        sdk.messages.get(their_message.id)
    assert list(sdk.messages.list()) == []


def test_whoami_and_account(sdk: Client, account: Credentials) -> None:
    me = sdk.whoami()
    assert (me.account_id, me.key_id, me.mode) == (account.account_id, account.key_id, "test")
    details = sdk.account.get()
    assert details.id == account.account_id
    assert details.webhook_secret is not None
    assert details.webhook_secret.startswith("whsec_")


def test_webhook_deliveries_are_listed_with_their_attempts(
    sdk: Client, webhook_sink: WebhookSink
) -> None:
    url = webhook_sink.url
    sent = sdk.messages.send(RECIPIENT, "tracked", status_callback=url)
    deliveries = wait_for(
        lambda: [d for d in sdk.webhook_deliveries.list(message_id=sent.id)
                 if d.status == "delivered"]
    )  # fmt: skip
    assert all(d.message_id == sent.id and d.url == url for d in deliveries)
    assert deliveries[0].log
    assert deliveries[0].log[-1].status_code == 200


def test_credentials_and_url_come_from_the_environment(
    gateway: RunningGateway, account: Credentials
) -> None:
    environ = {
        "SMSGATE_KEY_ID": account.key_id,
        "SMSGATE_SECRET": account.secret,
        "SMSGATE_URL": gateway.base_url,
        "SMSGATE_FROM": SENDER,
    }
    with Client(environ=environ) as client:
        assert client.messages.send(RECIPIENT, "from env").from_ == SENDER


def test_missing_credentials_say_which_variables() -> None:
    with pytest.raises(AuthenticationError, match="SMSGATE_KEY_ID and SMSGATE_SECRET"):
        Client(environ={})


def test_the_secret_is_not_in_the_repr(sdk: Client) -> None:
    assert sdk.config.secret not in repr(sdk)
    assert sdk.config.secret not in repr(sdk.config)


def test_unknown_fields_in_an_answer_are_tolerated() -> None:
    message = Message.from_json({"id": "SM1", "to": RECIPIENT, "status": "queued", "new": [1]})
    assert message.id == "SM1"
    assert message.raw["new"] == [1]
    assert message.segments is None


def test_async_client_sends_gets_and_lists(gateway: RunningGateway, account: Credentials) -> None:
    async def scenario() -> tuple[Message, Message, list[str]]:
        async with AsyncClient(
            account.key_id,
            account.secret,
            base_url=gateway.base_url,
            default_from=SENDER,
            retry=FAST,
            environ={},
        ) as client:
            sent = await asyncio.gather(
                *(client.messages.send(RECIPIENT, f"a{i}") for i in range(3))
            )
            got = await client.messages.get(sent[0].id)
            listed = [m.id async for m in client.messages.list(page_size=2)]
            return sent[0], got, listed

    first, got, listed = asyncio.run(scenario())
    assert got.id == first.id
    assert len(listed) == len(set(listed)) == 3


def test_a_mock_transport_stands_in_for_unit_tests() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        return httpx.Response(200, json={"account_id": "AC1", "key_id": "SK1", "mode": "live"})

    with Client("SK1", "s", environ={}, transport=httpx.MockTransport(answer)) as client:
        assert client.whoami().mode == "live"

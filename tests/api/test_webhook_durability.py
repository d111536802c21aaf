"""A webhook whose status change committed survives SIGKILL; rotation signs with both secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

from smsgate.store.signing_secrets import rotate_signing_secret, signing_secrets
from tests.conftest import (
    RECIPIENT,
    SENDER,
    RunningGateway,
    WebhookSink,
    killed_gateway,
    make_settings,
    wait_for,
)


def test_webhooks_written_before_sigkill_are_sent_after_restart(
    tmp_path: Path,
    start_gateway: Callable[..., RunningGateway],
    database_url: str,
    webhook_sink: WebhookSink,
) -> None:
    setup = RunningGateway(make_settings(tmp_path, database_url))
    credentials = setup.account("acme")
    setup.add_number(credentials, SENDER)
    setup.database.dispose()

    # A gateway that delivers messages but never sends webhooks: the outbox fills up.
    with (
        killed_gateway(
            database_url=database_url,
            webhook_enabled="0",
            webhook_allow_private="1",
            simulator_receipt_delay="0",
        ) as base_url,
        httpx.Client(base_url=base_url, auth=credentials.auth) as http,
    ):
        message_id = http.post(
            "/v1/messages",
            json={
                "to": RECIPIENT,
                "from": SENDER,
                "body": "survive",
                "status_callback": webhook_sink.url,
            },
        ).json()["id"]
        wait_for(lambda: http.get(f"/v1/messages/{message_id}").json()["status"] == "delivered")
    assert webhook_sink.received == []

    start_gateway(webhook_allow_private="1")
    wait_for(lambda: webhook_sink.events(message_id) == ["sending", "sent", "delivered"])


def test_after_rotation_both_secrets_sign(
    start_gateway: Callable[..., RunningGateway], webhook_sink: WebhookSink
) -> None:
    gateway = start_gateway(webhook_allow_private="1")
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    now = datetime.now(UTC)
    (old,) = gateway.database.run_sync(lambda c: signing_secrets(c, credentials.account_id, now))
    new = gateway.database.run_sync(lambda c: rotate_signing_secret(c, credentials.account_id, now))
    with gateway.client(credentials) as http:
        account: dict[str, Any] = http.get("/v1/account").json()
        assert account["webhook_secret"] == new
        assert account["webhook_secrets_in_use"] == 2
        message_id = http.post(
            "/v1/messages",
            json={
                "to": RECIPIENT,
                "from": SENDER,
                "body": "x",
                "status_callback": webhook_sink.url,
            },
        ).json()["id"]
    wait_for(lambda: webhook_sink.events(message_id))
    received = webhook_sink.received[0]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(received.body, received.headers)["data"]["id"] == message_id

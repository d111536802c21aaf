"""The outbox keeps each event's body as it was when the event was queued."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, update

from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage
from smsgate.store.queue import ClaimDue
from smsgate.store.schema import messages, webhook_deliveries
from smsgate.store.webhooks import ClaimWebhooks, DueWebhook
from tests.conftest import new_record

HOOK = "https://hooks.example.com/status"
LEASE = timedelta(seconds=60)


def queued_sending_event(database: Database) -> str:
    """A message claimed once, so its `sending` event waits in the outbox."""
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    database.run_sync(lambda c: account_store.set_status_callback(c, account.id, HOOK))
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)
    assert [m.id for m in database.run_sync(ClaimDue(now, LEASE, 10).run)] == [record.id]
    return record.id


def claim(database: Database) -> list[DueWebhook]:
    return database.run_sync(ClaimWebhooks(datetime.now(UTC) + timedelta(seconds=1), LEASE, 10).run)


def test_the_body_is_the_message_as_it_stood_at_the_event(database: Database) -> None:
    message_id = queued_sending_event(database)

    def reprice(connection: Connection) -> None:
        connection.execute(update(messages).where(messages.c.id == message_id).values(price="9"))

    database.run_sync(reprice)  # a change after the event does not reach its body
    [due] = claim(database)
    body = json.loads(due.body)
    assert body["type"] == "message.status"
    assert body["data"]["id"] == message_id
    assert body["data"]["status"] == "sending"
    assert body["data"]["price"] == "0.0079"
    assert body["data"]["to"] == "+14155552671"
    assert due.url == HOOK
    assert due.attempt == 1


def test_an_event_queued_before_bodies_were_kept_is_rendered_when_claimed(
    database: Database,
) -> None:
    """Rows from before revision 0008 have no payload; their body comes from the message."""
    message_id = queued_sending_event(database)

    def forget_payload(connection: Connection) -> None:
        connection.execute(update(webhook_deliveries).values(payload=None))

    database.run_sync(forget_payload)
    [due] = claim(database)
    body = json.loads(due.body)
    assert body["data"]["id"] == message_id
    assert body["data"]["status"] == "sending"
    assert body["data"]["from"] == "+15005550006"
    assert due.attempt == 1

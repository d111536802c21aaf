"""A status change hands its webhook to this node's sender, leased, when nothing earlier of
its message is on its way to the same endpoint; the row is the outbox's all the same."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from smsgate.config import WebhookSettings
from smsgate.errors import NotFoundError
from smsgate.store import accounts as account_store
from smsgate.store.database import Database, connect_writer
from smsgate.store.handoff import enable_webhook_handoff, take_handed
from smsgate.store.messages import CreateMessage
from smsgate.store.queue import ClaimDue, RecordOutcome
from smsgate.store.schema import webhook_deliveries
from smsgate.store.webhooks import (
    ClaimWebhooks,
    DueWebhook,
    RecordWebhookAttempt,
    ReleaseWebhooks,
    disable_url,
    enqueue_received_webhook,
)
from smsgate.store.writer import Call, GroupCommitWriter, commit_batch
from smsgate.webhooks.sender import WebhookSender
from tests.conftest import new_record

HOOK = "https://hooks.example.com/status"
LEASE = timedelta(seconds=60)


@pytest.fixture
def writer(database: Database) -> Iterator[Connection]:
    """The writer's connection, handing webhooks off as a node whose sender runs."""
    connection = connect_writer(database.engine)
    enable_webhook_handoff(connection, LEASE)
    yield connection
    connection.close()


def claimed_message(database: Database, writer: Connection) -> tuple[str, str]:
    """A message of an account with a status webhook, claimed by the dispatcher: its
    `sending` webhook is written. Returns the account's and the message's ids."""
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    database.run_sync(lambda c: account_store.set_status_callback(c, account.id, HOOK))
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)
    [claimed] = commit_batch(writer, [ClaimDue(now, LEASE, 10)])
    assert [m.id for m in claimed] == [record.id]
    return account.id, record.id


def sent(message_id: str) -> RecordOutcome:
    return RecordOutcome(message_id, 1, "sent", datetime.now(UTC), "sim", ("abc",))  # type: ignore[arg-type]


def delivered(due: DueWebhook) -> RecordWebhookAttempt:
    return RecordWebhookAttempt(
        due.id, due.account_id, due.url, due.attempt, datetime.now(UTC), "delivered", 3, 204
    )


def rows(database: Database, message_id: str) -> list[Any]:
    d = webhook_deliveries
    return database.run_sync(
        lambda c: c.execute(
            select(d.c.id, d.c.state, d.c.attempts, d.c.lease_until)
            .where(d.c.message_id == message_id)
            .order_by(d.c.seq)
        ).all()
    )


def claim(database: Database, at: datetime) -> list[DueWebhook]:
    return database.run_sync(ClaimWebhooks(at, LEASE, 10).run)


def test_a_first_webhook_is_handed_over_leased_and_nothing_is_left_to_claim(
    database: Database, writer: Connection
) -> None:
    _, message_id = claimed_message(database, writer)
    [due] = take_handed(writer)
    assert isinstance(due, DueWebhook)
    assert (due.message_id, due.url, due.attempt, due.disabled) == (message_id, HOOK, 1, False)
    assert '"status":"sending"' in due.body
    [row] = rows(database, message_id)
    assert (row.id, row.state, row.attempts) == (due.id, "delivering", 1)
    assert due.created_at + LEASE <= row.lease_until <= datetime.now(UTC) + LEASE
    assert claim(database, datetime.now(UTC) + timedelta(seconds=1)) == []
    assert take_handed(writer) == []  # taken once


def test_a_later_webhook_waits_for_the_earlier_one_and_is_claimed_after_it(
    database: Database, writer: Connection
) -> None:
    _, message_id = claimed_message(database, writer)
    [sending] = take_handed(writer)
    assert commit_batch(writer, [sent(message_id)]) == [True]
    assert take_handed(writer) == []  # `sending` is still on its way: `sent` may not pass it
    assert [row.state for row in rows(database, message_id)] == ["delivering", "pending"]
    soon = datetime.now(UTC) + timedelta(seconds=1)
    assert claim(database, soon) == []

    commit_batch(writer, [delivered(sending)])
    [later] = claim(database, soon)
    assert '"status":"sent"' in later.body


def test_once_the_earlier_webhook_is_done_the_next_is_handed_over_too(
    database: Database, writer: Connection
) -> None:
    _, message_id = claimed_message(database, writer)
    [sending] = take_handed(writer)
    # The next change and the earlier one's attempt in one batch: attempts are recorded
    # first, so the finished one holds nothing back.
    commit_batch(writer, [sent(message_id), delivered(sending)])
    [later] = take_handed(writer)
    assert '"status":"sent"' in later.body
    assert [row.state for row in rows(database, message_id)] == ["delivered", "delivering"]


def test_a_job_that_fails_hands_nothing_over(database: Database, writer: Connection) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    database.run_sync(lambda c: account_store.set_status_callback(c, account.id, HOOK))
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)

    def claim_then_fail(connection: Connection) -> None:
        ClaimDue(now, LEASE, 10).run(connection)
        raise NotFoundError("nothing after all")

    # Alone in its transaction, and beside another job in a savepoint: either way its
    # rows roll back, and so does what it handed over.
    for batch in ([Call(claim_then_fail)], [Call(claim_then_fail), Call(lambda c: None)]):
        outcome = commit_batch(writer, batch)[0]
        assert isinstance(outcome, NotFoundError)
        assert take_handed(writer) == []
        assert rows(database, record.id) == []


def test_a_disabled_endpoint_is_not_handed_over(database: Database, writer: Connection) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    database.run_sync(lambda c: account_store.set_status_callback(c, account.id, HOOK))
    database.run_sync(lambda c: disable_url(c, account.id, HOOK, datetime.now(UTC)))
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)
    commit_batch(writer, [ClaimDue(now, LEASE, 10)])
    assert take_handed(writer) == []
    # The claim says it is disabled, and the sender records why it stops.
    [due] = claim(database, now + timedelta(seconds=1))
    assert due.disabled


def test_a_handed_webhook_whose_node_died_is_claimed_when_its_lease_runs_out(
    database: Database, writer: Connection
) -> None:
    claimed_message(database, writer)
    [handed] = take_handed(writer)  # and never sent: the node is gone
    assert claim(database, handed.created_at + LEASE / 2) == []
    [again] = claim(database, handed.created_at + LEASE + timedelta(seconds=1))
    assert (again.id, again.attempt) == (handed.id, 2)


def test_a_released_webhook_goes_back_to_the_outbox_unattempted(
    database: Database, writer: Connection
) -> None:
    _, message_id = claimed_message(database, writer)
    [handed] = take_handed(writer)
    assert commit_batch(writer, [ReleaseWebhooks((handed.id,), datetime.now(UTC))]) == [1]
    [row] = rows(database, message_id)
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)
    [due] = claim(database, datetime.now(UTC) + timedelta(seconds=1))
    assert (due.id, due.attempt) == (handed.id, 1)


def test_a_received_message_webhook_is_handed_over_unless_its_endpoint_is_disabled(
    database: Database, writer: Connection
) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    inbound = dataclasses.replace(new_record(account.id), direction="inbound", status="received")
    database.run_sync(CreateMessage(inbound, next_attempt_at=None).run)
    commit_batch(writer, [Call(enqueue_received_webhook, inbound, HOOK)])
    [due] = take_handed(writer)
    assert (due.message_id, due.event_type, due.url) == (inbound.id, "message.received", HOOK)

    database.run_sync(lambda c: disable_url(c, account.id, HOOK, datetime.now(UTC)))
    commit_batch(writer, [Call(enqueue_received_webhook, inbound, HOOK)])
    assert take_handed(writer) == []
    assert [row.state for row in rows(database, inbound.id)] == ["delivering", "pending"]


def test_a_sender_that_has_stopped_gives_handed_webhooks_back(
    database: Database, writer: Connection
) -> None:
    _, message_id = claimed_message(database, writer)
    [handed] = take_handed(writer)

    async def scenario() -> None:
        group = GroupCommitWriter(database.engine)
        group.start()
        sender = WebhookSender(group, database, WebhookSettings())
        try:
            running = asyncio.create_task(sender.run())
            await asyncio.sleep(0)
            sender.stop()
            async with asyncio.timeout(10):
                await running
            sender.take([handed])  # a batch that committed as the node shut down
            async with asyncio.timeout(10):
                await asyncio.gather(*sender._releasing)
        finally:
            await group.aclose()

    asyncio.run(scenario())
    [row] = rows(database, message_id)
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)

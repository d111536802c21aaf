"""Finished webhook deliveries go, with their attempts, once older than the retention;
unfinished ones stay however old, and so does everything newer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select

from smsgate.domain.ids import made_before
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage
from smsgate.store.schema import messages, webhook_attempts, webhook_deliveries
from smsgate.store.webhook_retention import PruneWebhookDeliveries
from smsgate.store.writer import GroupCommitWriter
from smsgate.webhooks.retention import WebhookRetention
from tests.conftest import new_record

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=2)
CUTOFF = NOW - timedelta(days=30)


def a_message(database: Database) -> str:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    record = new_record(account.id)
    database.run_sync(CreateMessage(record, next_attempt_at=NOW).run)
    return record.id


def add_delivery(database: Database, message_id: str, state: str, at: datetime, serial: int) -> str:
    """A delivery queued at `at` (its id made then, as the outbox makes it), attempted once."""
    delivery_id = f"{made_before('WH', at)}{serial:020x}"

    def insert(connection: Connection) -> None:
        account_id = connection.execute(
            select(messages.c.account_id).where(messages.c.id == message_id)
        ).scalar_one()
        connection.execute(
            webhook_deliveries.insert().values(
                id=delivery_id,
                account_id=account_id,
                message_id=message_id,
                event_type="message.status",
                event="{}",
                url="http://127.0.0.1:9/hooks",  # loopback: refused, never sent
                state=state,
                attempts=1,
                created_at=at,
                updated_at=at,
                payload="{}",
            )
        )
        connection.execute(
            webhook_attempts.insert().values(
                delivery_id=delivery_id, attempt=1, at=at, status_code=500, latency_ms=3
            )
        )

    database.run_sync(insert)
    return delivery_id


def remaining(database: Database) -> tuple[set[str], int]:
    def read(connection: Connection) -> tuple[set[str], int]:
        ids = set(connection.execute(select(webhook_deliveries.c.id)).scalars())
        attempts = connection.execute(select(func.count()).select_from(webhook_attempts))
        return ids, int(attempts.scalar_one())

    return database.run_sync(read)


def test_finished_deliveries_older_than_the_cutoff_go_with_their_attempts(
    database: Database,
) -> None:
    message_id = a_message(database)
    old_finished = {
        add_delivery(database, message_id, state, OLD, n)
        for n, state in enumerate(["delivered", "failed", "disabled"])
    }
    kept = {
        add_delivery(database, message_id, "pending", OLD, 10),
        add_delivery(database, message_id, "delivering", OLD, 11),
        add_delivery(database, message_id, "delivered", RECENT, 12),
        add_delivery(database, message_id, "failed", RECENT, 13),
    }

    pruned = database.run_sync(PruneWebhookDeliveries(CUTOFF, 100).run)

    assert pruned == 3
    ids, attempts = remaining(database)
    assert ids == kept
    assert not ids & old_finished
    assert attempts == len(kept)  # the pruned deliveries' attempts went with them


def test_a_prune_takes_at_most_its_limit_oldest_first(database: Database) -> None:
    message_id = a_message(database)
    ids = [
        add_delivery(database, message_id, "delivered", OLD + timedelta(minutes=n), n)
        for n in range(5)
    ]

    assert database.run_sync(PruneWebhookDeliveries(CUTOFF, 2).run) == 2
    assert remaining(database)[0] == set(ids[2:])
    assert database.run_sync(PruneWebhookDeliveries(CUTOFF, 2).run) == 2
    assert database.run_sync(PruneWebhookDeliveries(CUTOFF, 2).run) == 1
    assert database.run_sync(PruneWebhookDeliveries(CUTOFF, 2).run) == 0


def test_retention_prunes_everything_due_in_batches_through_the_writer(
    database: Database,
) -> None:
    message_id = a_message(database)
    for n in range(7):
        add_delivery(database, message_id, "delivered", OLD, n)
    recent = add_delivery(database, message_id, "delivered", RECENT, 7)

    async def scenario() -> tuple[int, int]:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        try:
            retention = WebhookRetention(writer, timedelta(days=30), batch=3)
            return await retention.prune(NOW), writer.jobs
        finally:
            await writer.aclose()

    pruned, jobs = asyncio.run(scenario())
    assert pruned == 7
    assert jobs == 3  # 3 + 3 + 1
    assert remaining(database)[0] == {recent}


def test_retention_stops_when_asked_between_prunes(database: Database) -> None:
    async def scenario() -> None:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        try:
            retention = WebhookRetention(writer, timedelta(days=30), every=3600)
            committed = asyncio.Event()
            writer.on_commit(committed.set)
            running = asyncio.create_task(retention.run())
            async with asyncio.timeout(10):  # its first prune, at start
                await committed.wait()
            retention.stop()  # it would otherwise wait an hour for the next
            async with asyncio.timeout(10):
                await running
        finally:
            await writer.aclose()

    asyncio.run(scenario())

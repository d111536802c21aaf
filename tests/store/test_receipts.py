"""A receipt moves its message forward once, by (connector, carrier id)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, get_message
from smsgate.store.queue import ClaimDue, RecordOutcome
from smsgate.store.receipts import ApplyReceipt
from smsgate.store.writer import GroupCommitWriter
from tests.conftest import new_record


def sent_message(database: Database, carrier_ids: tuple[str, ...]) -> tuple[str, str]:
    account = database.run_sync(
        lambda c: account_store.find_account(c, "acme") or account_store.create_account(c, "acme")
    )
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)
    claimed = database.run_sync(ClaimDue(now, timedelta(seconds=60), 10).run)
    assert [m.id for m in claimed] == [record.id]
    database.run_sync(
        RecordOutcome(record.id, 1, "sent", now, connector="sim", carrier_ids=carrier_ids).run
    )
    return account.id, record.id


def receipt(carrier_id: str, stat: str, err: str | None = None) -> ApplyReceipt:
    return ApplyReceipt("sim", carrier_id, stat, err, datetime.now(UTC))


def test_receipt_delivers_and_a_duplicate_changes_nothing(database: Database) -> None:
    account_id, message_id = sent_message(database, ("a1",))
    assert database.run_sync(receipt("a1", "DELIVRD").run) == "applied"
    assert database.run_sync(receipt("a1", "DELIVRD").run) == "unchanged"
    assert database.run_sync(receipt("a1", "UNDELIV", "001").run) == "unchanged"
    message = database.run_sync(lambda c: get_message(c, account_id, message_id))
    assert message.status == "delivered"
    assert [e.status for e in message.events] == ["queued", "sending", "sent", "delivered"]


def test_multipart_is_delivered_when_every_part_is(database: Database) -> None:
    account_id, message_id = sent_message(database, ("p1", "p2"))
    assert database.run_sync(receipt("p2", "DELIVRD").run) == "pending"
    assert database.run_sync(receipt("p1", "DELIVRD").run) == "applied"
    message = database.run_sync(lambda c: get_message(c, account_id, message_id))
    assert message.status == "delivered"


def test_one_undelivered_part_makes_the_message_undelivered(database: Database) -> None:
    account_id, message_id = sent_message(database, ("q1", "q2"))
    assert database.run_sync(receipt("q1", "UNDELIV", "001").run) == "applied"
    message = database.run_sync(lambda c: get_message(c, account_id, message_id))
    assert message.status == "undelivered"
    assert message.error_code == 30005


def test_receipt_for_an_unknown_id_is_reported_not_raised(database: Database) -> None:
    assert database.run_sync(receipt("nobody", "DELIVRD").run) == "unknown"


def test_receipts_go_through_the_writer_too(database: Database) -> None:
    sent_message(database, ("w1",))

    async def scenario() -> str:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        try:
            return await writer.submit(receipt("w1", "DELIVRD"))
        finally:
            await writer.aclose()

    assert asyncio.run(scenario()) == "applied"


def test_a_reused_carrier_id_names_the_newer_message(database: Database) -> None:
    account_id, older = sent_message(database, ("same",))
    newer = new_record(account_id)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(newer, next_attempt_at=now).run)
    database.run_sync(ClaimDue(now, timedelta(seconds=60), 10).run)
    database.run_sync(
        RecordOutcome(newer.id, 1, "sent", now, connector="sim", carrier_ids=("same",)).run
    )
    assert database.run_sync(receipt("same", "DELIVRD").run) == "applied"
    assert database.run_sync(lambda c: get_message(c, account_id, newer.id)).status == "delivered"
    assert database.run_sync(lambda c: get_message(c, account_id, older)).status == "sent"

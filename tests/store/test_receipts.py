"""A receipt moves its message forward once, by (connector, carrier id)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from smsgate.delivery.receipts import ReceiptSink
from smsgate.domain.ids import MessageId
from smsgate.domain.receipt_ids import IdFormat
from smsgate.smpp.receipt import DeliveryReceipt
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, get_message
from smsgate.store.queue import ClaimDue, RecordOutcome
from smsgate.store.receipts import EARLY_RECEIPT_TTL, ApplyReceipt, PurgeEarlyReceipts
from smsgate.store.schema import early_receipts, message_parts, webhook_deliveries
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


def receipt(
    carrier_id: str,
    stat: str,
    err: str | None = None,
    *,
    id_format: IdFormat = "exact",
    at: datetime | None = None,
) -> ApplyReceipt:
    return ApplyReceipt("sim", carrier_id, stat, err, at or datetime.now(UTC), id_format)


def claimed_message(database: Database, *, callback: str | None = None) -> tuple[str, str]:
    """A message claimed for its first attempt, whose submit_sm_resp is not recorded yet."""
    account = database.run_sync(
        lambda c: account_store.find_account(c, "acme") or account_store.create_account(c, "acme")
    )
    database.run_sync(lambda c: account_store.set_status_callback(c, account.id, callback))
    record = new_record(account.id)
    now = datetime.now(UTC)
    database.run_sync(CreateMessage(record, next_attempt_at=now).run)
    claimed = database.run_sync(ClaimDue(now, timedelta(seconds=60), 10).run)
    assert [m.id for m in claimed] == [record.id]
    return account.id, record.id


def record_sent(database: Database, message_id: str, carrier_ids: tuple[str, ...]) -> None:
    outcome = RecordOutcome(
        MessageId(message_id),
        1,
        "sent",
        datetime.now(UTC),
        connector="sim",
        carrier_ids=carrier_ids,
    )
    assert database.run_sync(outcome.run)


def webhook_statuses(database: Database, message_id: str) -> list[str]:
    rows = database.run_sync(
        lambda c: c.execute(
            select(webhook_deliveries.c.event)
            .where(webhook_deliveries.c.message_id == message_id)
            .order_by(webhook_deliveries.c.seq)
        ).all()
    )
    return [json.loads(row.event)["status"] for row in rows]


def kept_rows(connection: Connection) -> list[Any]:
    return list(connection.execute(select(early_receipts)).all())


def status_of(database: Database, account_id: str, message_id: str) -> str:
    return str(database.run_sync(lambda c: get_message(c, account_id, message_id)).status)


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
    # Kept for a segment that may still be recorded; only an id no submit_sm_resp can
    # carry is unknown at once.
    assert database.run_sync(receipt("nobody", "DELIVRD").run) == "kept"
    assert database.run_sync(receipt("n" * 65, "DELIVRD").run) == "unknown"
    assert len(database.run_sync(kept_rows)) == 1


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


@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ("1a2b3c", "1715004"),  # hex in submit_sm_resp, decimal in the receipt
        ("1715004", "1a2b3c"),  # and the other way round
        ("4711", "0004711"),  # leading zeros
        ("ABCDEF", "abcdef"),  # case
        ("00000000FF", "0000000255"),  # both padded to one width, in two bases
    ],
)
def test_auto_finds_a_rewritten_id_and_exact_does_not(
    database: Database, stored: str, given: str
) -> None:
    account_id, message_id = sent_message(database, (stored,))
    assert database.run_sync(receipt(given, "DELIVRD").run) == "kept"
    assert status_of(database, account_id, message_id) == "sent"
    assert database.run_sync(receipt(given, "DELIVRD", id_format="auto").run) == "applied"
    assert status_of(database, account_id, message_id) == "delivered"


def test_auto_prefers_the_id_as_given(database: Database) -> None:
    # "10" is also the hex of decimal 16 and the decimal of hex "a": the exact id wins.
    account_id, exact = sent_message(database, ("10",))
    _, other = sent_message(database, ("a",))
    assert database.run_sync(receipt("10", "DELIVRD", id_format="auto").run) == "applied"
    assert status_of(database, account_id, exact) == "delivered"
    assert status_of(database, account_id, other) == "sent"


def test_a_receipt_before_its_submit_resp_is_kept_then_applied(database: Database) -> None:
    account_id, message_id = claimed_message(database, callback="https://example.com/hooks")
    assert database.run_sync(receipt("e1", "ENROUTE", id_format="auto").run) == "kept"
    assert database.run_sync(receipt("E1", "DELIVRD", id_format="auto").run) == "kept"
    assert database.run_sync(receipt("e1", "DELIVRD", id_format="auto").run) == "kept"
    assert status_of(database, account_id, message_id) == "sending"

    record_sent(database, message_id, ("e1",))

    message = database.run_sync(lambda c: get_message(c, account_id, message_id))
    assert message.status == "delivered"
    assert [e.status for e in message.events] == ["queued", "sending", "sent", "delivered"]
    assert webhook_statuses(database, message_id) == ["sending", "sent", "delivered"]
    assert database.run_sync(kept_rows) == []
    # The kept receipts are spent: a repeat now changes nothing.
    assert database.run_sync(receipt("e1", "DELIVRD", id_format="auto").run) == "unchanged"
    assert webhook_statuses(database, message_id) == ["sending", "sent", "delivered"]


def test_an_early_receipt_waits_for_every_part(database: Database) -> None:
    account_id, message_id = claimed_message(database)
    assert database.run_sync(receipt("255", "DELIVRD", id_format="auto").run) == "kept"
    record_sent(database, message_id, ("ff", "100"))
    assert status_of(database, account_id, message_id) == "sent"
    assert database.run_sync(receipt("100", "DELIVRD").run) == "applied"
    assert status_of(database, account_id, message_id) == "delivered"


def test_an_old_kept_receipt_is_purged_and_never_applied(database: Database) -> None:
    account_id, message_id = claimed_message(database)
    now = datetime.now(UTC)
    old = receipt("o1", "DELIVRD", at=now - EARLY_RECEIPT_TTL - timedelta(minutes=1))
    assert database.run_sync(old.run) == "kept"
    assert database.run_sync(receipt("young", "DELIVRD").run) == "kept"

    # Too old to be applied even before it is purged.
    record_sent(database, message_id, ("o1",))
    assert status_of(database, account_id, message_id) == "sent"

    purged = database.run_sync(PurgeEarlyReceipts(now - EARLY_RECEIPT_TTL).run)
    assert [(p.connector, p.carrier_id, p.stat) for p in purged] == [("sim", "o1", "DELIVRD")]
    assert {row.carrier_id for row in database.run_sync(kept_rows)} == {"young"}
    assert database.run_sync(PurgeEarlyReceipts(now - EARLY_RECEIPT_TTL).run) == []


@pytest.mark.parametrize(
    "later",
    [
        [("ENROUTE", None)],
        [("ACCEPTD", None)],
        [("DELIVRD", None)],
        [("UNDELIV", "001")],
        [("DELIVRD", None), ("ENROUTE", None), ("UNDELIV", "001"), ("DELIVRD", None)],
    ],
)
def test_nothing_moves_after_a_final_receipt(
    database: Database, later: list[tuple[str, str | None]]
) -> None:
    account_id, message_id = claimed_message(database, callback="https://example.com/hooks")
    record_sent(database, message_id, ("m1", "m2"))
    assert database.run_sync(receipt("m1", "DELIVRD").run) == "pending"
    assert database.run_sync(receipt("m2", "DELIVRD").run) == "applied"
    for stat, err in later:
        assert database.run_sync(receipt("m1", stat, err).run) == "unchanged"
        assert database.run_sync(receipt("m2", stat, err).run) == "unchanged"

    message = database.run_sync(lambda c: get_message(c, account_id, message_id))
    assert message.status == "delivered"
    assert message.error_code is None
    assert [e.status for e in message.events] == ["queued", "sending", "sent", "delivered"]
    assert webhook_statuses(database, message_id) == ["sending", "sent", "delivered"]
    stats = database.run_sync(
        lambda c: c.execute(select(message_parts.c.stat, message_parts.c.err)).all()
    )
    assert [tuple(row) for row in stats] == [("DELIVRD", None), ("DELIVRD", None)]


def test_a_late_sent_outcome_never_overwrites_delivered(database: Database) -> None:
    account_id, message_id = claimed_message(database)
    record_sent(database, message_id, ("s1",))
    assert database.run_sync(receipt("s1", "DELIVRD").run) == "applied"
    late = RecordOutcome(
        MessageId(message_id), 1, "sent", datetime.now(UTC), connector="sim", carrier_ids=("s1",)
    )
    assert database.run_sync(late.run) is False
    assert status_of(database, account_id, message_id) == "delivered"


def test_the_sink_counts_kept_and_unknown_receipts(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    account_id, message_id = sent_message(database, ("FF",))
    stale = receipt("gone", "DELIVRD", at=datetime.now(UTC) - 2 * EARLY_RECEIPT_TTL)
    database.run_sync(stale.run)

    async def scenario() -> ReceiptSink:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        sink = ReceiptSink(writer, {"sim": "receipt_decimal"})
        try:
            await sink("sim", DeliveryReceipt("255", stat="DELIVRD"))
            await sink("sim", DeliveryReceipt("x" * 65, stat="DELIVRD"))
            # Kept; keeping purges the stale one, which is then counted as unknown.
            await sink("sim", DeliveryReceipt("256", stat="DELIVRD"))
            # Another connector defaults to "auto".
            await sink("other", DeliveryReceipt("0042", stat=None))
        finally:
            await writer.aclose()
        return sink

    with caplog.at_level(logging.INFO, logger="smsgate.delivery.receipts"):
        sink = asyncio.run(scenario())

    assert sink.results == {"applied": 1, "kept": 2, "unknown": 2}
    assert status_of(database, account_id, message_id) == "delivered"
    assert "unknown message id 'gone'" in caplog.text
    kept = database.run_sync(kept_rows)
    assert {(row.connector, row.carrier_id, row.stat) for row in kept} == {
        ("sim", "256", "DELIVRD"),
        ("other", "0042", "UNKNOWN"),
    }
    assert {row.candidate for row in kept if row.connector == "other"} >= {"0042", "42", "2a"}


def test_a_batch_of_receipts_gives_what_one_at_a_time_gives(database: Database) -> None:
    """Receipts that commit together still apply in order: duplicates, both parts of one
    message, an unknown id and an early one, all in one batch."""
    account_id, whole = sent_message(database, ("b1",))
    _, multipart = sent_message(database, ("b2", "b3"))
    _, failed = sent_message(database, ("b4",))
    batch = [
        receipt("b1", "DELIVRD"),
        receipt("b1", "DELIVRD"),
        receipt("b2", "DELIVRD"),
        receipt("b4", "UNDELIV", "001"),
        receipt("b3", "DELIVRD"),
        receipt("b4", "DELIVRD"),
        receipt("x" * 100, "DELIVRD"),
        receipt("b9", "DELIVRD"),
    ]
    results = database.run_sync(lambda c: ApplyReceipt.run_batch(c, batch))
    assert results == [
        "applied",
        "unchanged",
        "pending",
        "applied",
        "applied",
        "unchanged",
        "unknown",
        "kept",
    ]
    assert status_of(database, account_id, whole) == "delivered"
    assert status_of(database, account_id, multipart) == "delivered"
    assert status_of(database, account_id, failed) == "undelivered"
    assert [row.carrier_id for row in database.run_sync(kept_rows)] == ["b9"]

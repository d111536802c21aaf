"""Applying a carrier's delivery receipt to the message it is about.

A receipt names one segment by (connector, the id the SMSC gave in submit_sm_resp), which
it may write differently (`smsgate.domain.receipt_ids`), so it is looked up under every
form that id may have had. Real SMSCs also send receipts before their submit_sm_resp has
reached us and been recorded: a receipt that matches no segment is kept in
`early_receipts` and applied when the segment is recorded (`apply_early_receipts`), or
dropped as unknown once it is older than EARLY_RECEIPT_TTL.

Statuses only move forward, for segments and messages alike: once a segment has a final
receipt, later receipts for it (repeats, a late ENROUTE, a contradicting UNDELIV) change
nothing, append no event and queue no webhook.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, delete, select, update

from smsgate.domain.receipt_ids import MAX_ID_LENGTH, IdFormat, candidate_ids
from smsgate.domain.receipts import aggregate, receipt_outcome
from smsgate.domain.status import MessageStatus, can_transition
from smsgate.store.schema import early_receipts, message_events, message_parts, messages
from smsgate.store.webhooks import StatusChange, enqueue_status_webhooks

log = logging.getLogger(__name__)
ReceiptResult = Literal["applied", "pending", "unchanged", "kept", "unknown"]

# How long a receipt waits for its segment to be recorded. An early receipt beats its
# submit_sm_resp by moments, not hours; one still unmatched after an hour is for traffic
# that is not ours (a bind shared with another system) or whose submit_sm_resp was lost,
# and is dropped and counted as unknown.
EARLY_RECEIPT_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ApplyReceipt:
    """Record one segment's receipt and move the message if its outcome is now known.

    `carrier_id` is the id as the receipt gives it; `id_format` says how it may differ
    from the submit_sm_resp id the segment was recorded under. The first candidate id
    with a segment wins. With none, the receipt is kept for its segment ("kept"), unless
    its id is too long for any submit_sm_resp ("unknown").
    """

    connector: str
    carrier_id: str
    stat: str
    err: str | None
    at: datetime
    id_format: IdFormat = "exact"

    @classmethod
    def run_batch(cls, connection: Connection, jobs: Sequence[ApplyReceipt]) -> list[Any]:
        # In order, in the batch's transaction, without a savepoint each: receipts raise
        # nothing of ours, and a database error reruns every job of the batch on its own.
        return [job.run(connection) for job in jobs]

    def run(self, connection: Connection) -> ReceiptResult:
        candidates = candidate_ids(self.carrier_id, self.id_format)
        found = {
            row.carrier_id: row
            for row in connection.execute(
                select(
                    message_parts.c.message_id, message_parts.c.part, message_parts.c.carrier_id
                ).where(
                    message_parts.c.connector == self.connector,
                    message_parts.c.carrier_id.in_(candidates),
                )
            )
        }
        part = next((found[c] for c in candidates if c in found), None)
        if part is not None:
            return apply_to_part(
                connection, part.message_id, part.part, self.stat, self.err, self.at
            )
        if len(self.carrier_id) > MAX_ID_LENGTH:
            return "unknown"
        receipt = uuid.uuid4().hex
        connection.execute(
            early_receipts.insert(),
            [
                {
                    "receipt": receipt,
                    "connector": self.connector,
                    "candidate": candidate,
                    "rank": rank,
                    "carrier_id": self.carrier_id,
                    "stat": self.stat,
                    "err": self.err,
                    "received_at": self.at,
                }
                for rank, candidate in enumerate(candidates)
            ],
        )
        return "kept"


def apply_to_part(
    connection: Connection, message_id: str, part: int, stat: str, err: str | None, at: datetime
) -> ReceiptResult:
    """Record segment `part`'s receipt and move its message on if its outcome is known.

    Returns "unchanged" when the segment already had a final receipt or the message has
    moved past the outcome, "pending" while a segment still waits for its final receipt.
    """
    current = connection.execute(
        select(message_parts.c.stat, message_parts.c.err).where(
            message_parts.c.message_id == message_id, message_parts.c.part == part
        )
    ).one()
    if receipt_outcome(current.stat, current.err) is not None:
        return "unchanged"
    connection.execute(
        update(message_parts)
        .where(message_parts.c.message_id == message_id, message_parts.c.part == part)
        .values(stat=stat, err=err, updated_at=at)
    )
    parts = connection.execute(
        select(message_parts.c.stat, message_parts.c.err).where(
            message_parts.c.message_id == message_id
        )
    ).all()
    outcome = aggregate(receipt_outcome(p.stat, p.err) for p in parts)
    if outcome is None:
        return "pending"
    status, attempt = connection.execute(
        select(messages.c.status, messages.c.attempt).where(messages.c.id == message_id)
    ).one()
    if status == outcome.status or not can_transition(MessageStatus(status), outcome.status):
        return "unchanged"
    connection.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(
            status=outcome.status,
            error_code=outcome.error_code,
            error_message=None if outcome.error_code is None else outcome.detail,
            updated_at=at,
        )
    )
    detail = f"{outcome.detail} (receipt: stat {stat}, err {err or '-'})"
    connection.execute(
        message_events.insert().values(
            message_id=message_id,
            status=outcome.status,
            at=at,
            attempt=attempt,
            error_code=outcome.error_code,
            detail=detail,
        )
    )
    enqueue_status_webhooks(
        connection, [StatusChange(message_id, outcome.status, at, outcome.error_code, detail)]
    )
    return "applied"


@dataclass(frozen=True, slots=True)
class RecordedPart:
    """A segment just recorded under the id its submit_sm_resp gave, at `at`."""

    message_id: str
    part: int
    connector: str
    carrier_id: str
    at: datetime


def apply_early_receipts(connection: Connection, parts: Sequence[RecordedPart]) -> int:
    """Apply the kept receipts for segments just recorded, in the order they came, then
    forget them. Returns how many kept receipts were used up.

    Receipts older than EARLY_RECEIPT_TTL when their segment is recorded are left for
    PurgeEarlyReceipts: that old a receipt is more likely for an earlier use of a reused
    id than for this segment.
    """
    by_id = {(p.connector, p.carrier_id): p for p in parts}
    rows: list[Row[Any]] = []
    for connector in {p.connector for p in parts}:
        rows += connection.execute(
            select(early_receipts).where(
                early_receipts.c.connector == connector,
                early_receipts.c.candidate.in_(
                    [p.carrier_id for p in parts if p.connector == connector]
                ),
            )
        ).all()
    # A receipt may match several of these segments under different candidates: it
    # belongs to the likeliest (lowest rank).
    matches: dict[str, tuple[Row[Any], RecordedPart]] = {}
    for row in rows:
        part = by_id[(row.connector, row.candidate)]
        if row.received_at < part.at - EARLY_RECEIPT_TTL:
            continue
        if row.receipt not in matches or row.rank < matches[row.receipt][0].rank:
            matches[row.receipt] = (row, part)
    for row, part in sorted(matches.values(), key=lambda m: (m[0].received_at, m[0].seq)):
        apply_to_part(connection, part.message_id, part.part, row.stat, row.err, part.at)
    if matches:
        connection.execute(delete(early_receipts).where(early_receipts.c.receipt.in_(matches)))
    return len(matches)


@dataclass(frozen=True, slots=True)
class KeptReceipt:
    connector: str
    carrier_id: str
    stat: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class PurgeEarlyReceipts:
    """Drop the kept receipts received before `before`: their segments never came.

    Returns one KeptReceipt per dropped receipt, oldest first, for the caller to report
    as unknown.
    """

    before: datetime

    def run(self, connection: Connection) -> list[KeptReceipt]:
        rows = connection.execute(
            select(early_receipts)
            .where(early_receipts.c.received_at < self.before, early_receipts.c.rank == 0)
            .order_by(early_receipts.c.seq)
        ).all()
        if rows:
            connection.execute(
                delete(early_receipts).where(early_receipts.c.received_at < self.before)
            )
        return [KeptReceipt(r.connector, r.carrier_id, r.stat, r.received_at) for r in rows]

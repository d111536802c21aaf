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

from sqlalchemy import Connection, bindparam, delete, select, update

from smsgate.domain.receipt_ids import MAX_ID_LENGTH, IdFormat, candidate_ids
from smsgate.domain.receipts import aggregate, receipt_outcome
from smsgate.domain.status import MessageStatus, can_transition
from smsgate.store.message_events import append_events
from smsgate.store.pickling import pickled_by_fields
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.schema import early_receipts, message_parts, messages
from smsgate.store.webhooks import StatusChange, enqueue_status_webhooks

log = logging.getLogger(__name__)
ReceiptResult = Literal["applied", "pending", "unchanged", "kept", "unknown"]

# How long a receipt waits for its segment to be recorded. An early receipt beats its
# submit_sm_resp by moments, not hours; one still unmatched after an hour is for traffic
# that is not ours (a bind shared with another system) or whose submit_sm_resp was lost,
# and is dropped and counted as unknown.
EARLY_RECEIPT_TTL = timedelta(hours=1)


@pickled_by_fields
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
        # A batch costs a fixed handful of statements, however many receipts it holds: at
        # carrier rates a statement per receipt is what would hold the writer up. In order,
        # in the batch's transaction, without a savepoint each: receipts raise nothing of
        # ours, and a database error reruns every job of the batch on its own.
        candidates = [candidate_ids(job.carrier_id, job.id_format) for job in jobs]
        found = _segments_by_carrier_id(connection, jobs, candidates)
        results: list[ReceiptResult | None] = [None] * len(jobs)
        matched: list[tuple[int, SegmentReceipt]] = []
        kept: list[dict[str, Any]] = []
        for index, (job, ids) in enumerate(zip(jobs, candidates, strict=True)):
            segment = next(
                (found[job.connector, c] for c in ids if (job.connector, c) in found), None
            )
            if segment is not None:
                message_id, part = segment
                matched.append((index, SegmentReceipt(message_id, part, job.stat, job.err, job.at)))
            elif len(job.carrier_id) > MAX_ID_LENGTH:
                results[index] = "unknown"
            else:
                results[index] = "kept"
                kept += job._kept_rows(ids)
        applied = apply_to_segments(connection, [receipt for _, receipt in matched])
        for (index, _), result in zip(matched, applied, strict=True):
            results[index] = result
        if kept:
            connection.execute(early_receipts.insert(), kept)
        return results

    def run(self, connection: Connection) -> ReceiptResult:
        return self.run_batch(connection, [self])[0]  # type: ignore[no-any-return]

    def _kept_rows(self, candidates: Sequence[str]) -> list[dict[str, Any]]:
        receipt = uuid.uuid4().hex
        return [
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
        ]


def _segments_by_carrier_id(
    connection: Connection, jobs: Sequence[ApplyReceipt], candidates: Sequence[Sequence[str]]
) -> dict[tuple[str, str], tuple[str, int]]:
    """(connector, carrier id) -> (message id, part) for every candidate that has a segment."""
    wanted: dict[str, set[str]] = {}
    for job, ids in zip(jobs, candidates, strict=True):
        wanted.setdefault(job.connector, set()).update(ids)
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for connector, carrier_ids in wanted.items():
        for row in _SEGMENTS_BY_CARRIER_ID.rows(
            connection, {"connector": connector, "ids": list(carrier_ids)}
        ):
            found[connector, row.carrier_id] = (row.message_id, row.part)
    return found


_SEGMENTS_BY_CARRIER_ID = Prepared(
    select(message_parts.c.message_id, message_parts.c.part, message_parts.c.carrier_id).where(
        message_parts.c.connector == bindparam("connector"),
        any_of(message_parts.c.carrier_id, "ids"),
    )
)


@dataclass(frozen=True, slots=True)
class SegmentReceipt:
    """A receipt for segment `part` of `message_id`."""

    message_id: str
    part: int
    stat: str
    err: str | None
    at: datetime


def apply_to_segments(
    connection: Connection, receipts: Sequence[SegmentReceipt]
) -> list[ReceiptResult]:
    """Record each segment's receipt, in order, and move its message on if the outcome of
    the message is now known.

    Per receipt: "unchanged" when the segment already had a final receipt or the message
    has moved past the outcome, "pending" while a segment still waits for its final
    receipt, "applied" when the message moved (with an event and its webhooks).
    """
    if not receipts:
        return []
    of_messages = {"ids": list({r.message_id for r in receipts})}
    segments: dict[str, dict[int, tuple[str | None, str | None]]] = {}
    for row in _SEGMENTS_OF.rows(connection, of_messages):
        segments.setdefault(row.message_id, {})[row.part] = (row.stat, row.err)
    statuses = {
        row.id: (row.status, row.attempt) for row in _STATUSES.rows(connection, of_messages)
    }
    results: list[ReceiptResult] = []
    segment_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    changes: list[StatusChange] = []
    for receipt in receipts:
        parts = segments[receipt.message_id]
        if receipt_outcome(*parts[receipt.part]) is not None:
            results.append("unchanged")
            continue
        parts[receipt.part] = (receipt.stat, receipt.err)
        segment_rows.append(
            {
                "b_message_id": receipt.message_id,
                "b_part": receipt.part,
                "stat": receipt.stat,
                "err": receipt.err,
                "updated_at": receipt.at,
            }
        )
        outcome = aggregate(receipt_outcome(stat, err) for stat, err in parts.values())
        if outcome is None:
            results.append("pending")
            continue
        status, attempt = statuses[receipt.message_id]
        if status == outcome.status or not can_transition(MessageStatus(status), outcome.status):
            results.append("unchanged")
            continue
        statuses[receipt.message_id] = (outcome.status, attempt)
        message_rows.append(
            {
                "b_id": receipt.message_id,
                "status": outcome.status,
                "error_code": outcome.error_code,
                "error_message": None if outcome.error_code is None else outcome.detail,
                "updated_at": receipt.at,
            }
        )
        detail = f"{outcome.detail} (receipt: stat {receipt.stat}, err {receipt.err or '-'})"
        event_rows.append(
            {
                "message_id": receipt.message_id,
                "status": outcome.status,
                "at": receipt.at,
                "attempt": attempt,
                "error_code": outcome.error_code,
                "detail": detail,
            }
        )
        changes.append(
            StatusChange(receipt.message_id, outcome.status, receipt.at, outcome.error_code, detail)
        )
        results.append("applied")
    _UPDATE_SEGMENT.executemany(connection, segment_rows)
    if message_rows:
        _UPDATE_MESSAGE.executemany(connection, message_rows)
        append_events(connection, event_rows)
        enqueue_status_webhooks(connection, changes)
    return results


_SEGMENTS_OF = Prepared(
    select(
        message_parts.c.message_id,
        message_parts.c.part,
        message_parts.c.stat,
        message_parts.c.err,
    ).where(any_of(message_parts.c.message_id, "ids"))
)
_STATUSES = Prepared(
    select(messages.c.id, messages.c.status, messages.c.attempt).where(any_of(messages.c.id, "ids"))
)
_UPDATE_SEGMENT = Prepared(
    update(message_parts)
    .where(
        message_parts.c.message_id == bindparam("b_message_id"),
        message_parts.c.part == bindparam("b_part"),
    )
    .values(stat=bindparam("stat"), err=bindparam("err"), updated_at=bindparam("updated_at"))
)
_UPDATE_MESSAGE = Prepared(
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        error_code=bindparam("error_code"),
        error_message=bindparam("error_message"),
        updated_at=bindparam("updated_at"),
    )
)


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
    rows: list[Any] = []
    for connector in {p.connector for p in parts}:
        rows += _KEPT_FOR.rows(
            connection,
            {
                "connector": connector,
                "ids": [p.carrier_id for p in parts if p.connector == connector],
            },
        )
    # A receipt may match several of these segments under different candidates: it
    # belongs to the likeliest (lowest rank).
    matches: dict[str, tuple[Any, RecordedPart]] = {}
    for row in rows:
        part = by_id[(row.connector, row.candidate)]
        if row.received_at < part.at - EARLY_RECEIPT_TTL:
            continue
        if row.receipt not in matches or row.rank < matches[row.receipt][0].rank:
            matches[row.receipt] = (row, part)
    apply_to_segments(
        connection,
        [
            SegmentReceipt(part.message_id, part.part, row.stat, row.err, part.at)
            for row, part in sorted(matches.values(), key=lambda m: (m[0].received_at, m[0].seq))
        ],
    )
    if matches:
        connection.execute(delete(early_receipts).where(early_receipts.c.receipt.in_(matches)))
    return len(matches)


_KEPT_FOR = Prepared(
    select(early_receipts).where(
        early_receipts.c.connector == bindparam("connector"),
        any_of(early_receipts.c.candidate, "ids"),
    )
)


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

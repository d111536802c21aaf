"""The store is the queue: claiming due messages under a lease, and recording outcomes.

A claim moves a message to `sending`, bumps its attempt and gives the claimer a lease.
Only the holder of the current attempt may record its outcome: when a lease expires the
message is claimed again as a new attempt, and a late outcome of the old attempt is
ignored (and logged) instead of overwriting the new one.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from smsgate.domain.ids import AccountId, MessageId
from smsgate.domain.status import MessageStatus
from smsgate.errors import ErrorCode
from smsgate.store.balances import refund_unsent
from smsgate.store.message_events import append_events
from smsgate.store.pickling import pickled_by_fields
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.receipts import RecordedPart, apply_early_receipts
from smsgate.store.schema import message_parts, messages
from smsgate.store.webhooks import StatusChange, enqueue_status_webhooks

log = logging.getLogger(__name__)
_S = MessageStatus


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: MessageId
    account_id: AccountId
    to: str
    from_: str
    body: str
    encoding: str
    segments: int
    is_test: bool
    attempt: int
    expires_at: datetime


def _event(
    message_id: str, status: str, at: datetime, attempt: int, **extra: Any
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "status": status,
        "at": at,
        "attempt": attempt,
        "error_code": extra.get("error_code"),
        "detail": extra.get("detail"),
    }


def _change(event: dict[str, Any]) -> StatusChange:
    return StatusChange(
        event["message_id"], event["status"], event["at"], event["error_code"], event["detail"]
    )


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClaimDue:
    """Claim up to `limit` messages that are due now or whose lease has expired.

    A scheduled message is due at its `send_at` (kept in `next_attempt_at`); claiming it
    records `queued` and then `sending`. Messages past their validity are failed with 30036
    here instead of being claimed, and what they cost is refunded unless an attempt of
    theirs may have reached the carrier (a lease that ran out mid-submit).
    `sender_room(sender)` (a pure function: it runs in the writer's thread) caps how many
    of one sender's messages this claim takes; the rest stay queued, in order, for a later
    claim. Senders in `full_senders` are not claimed at all.
    """

    now: datetime
    lease: timedelta
    limit: int
    sender_room: Callable[[str], int] | None = None
    full_senders: frozenset[str] = frozenset()

    def run(self, connection: Connection) -> list[ClaimedMessage]:
        now = self.now
        full = sorted(self.full_senders)
        # A query per status, not one with OR: each then walks its index in order and stops
        # at `limit`, where one query would sort the whole backlog on every claim.
        rows = _CLAIM_EXPIRED.rows(connection, {"now": now, "limit": self.limit, "full": full})
        for waiting in (_S.SCHEDULED, _S.QUEUED):
            if len(rows) < self.limit:
                rows += _CLAIM_WAITING.rows(
                    connection,
                    {"status": waiting, "now": now, "limit": self.limit - len(rows), "full": full},
                )
        claimed: list[ClaimedMessage] = []
        events: list[dict[str, Any]] = []
        expired: list[str] = []
        never_sent: list[str] = []  # expired without an attempt whose outcome is unknown
        taken: Counter[str] = Counter()
        for row in rows:
            if row.expires_at > now and self.sender_room is not None:
                if taken[row.from_sender] >= self.sender_room(row.from_sender):
                    continue  # its sender has enough in hand: it waits in the queue
                taken[row.from_sender] += 1
            if row.expires_at <= now:
                expired.append(row.id)
                if row.status != _S.SENDING:
                    never_sent.append(row.id)
                events.append(
                    _event(
                        row.id,
                        _S.FAILED,
                        now,
                        row.attempt,
                        error_code=ErrorCode.VALIDITY_EXPIRED,
                        detail="The validity period ran out before the message could be sent.",
                    )
                )
                continue
            attempt = row.attempt + 1
            detail = "lease expired; trying again" if row.status == _S.SENDING else None
            if row.status == _S.SCHEDULED:
                events.append(_event(row.id, _S.QUEUED, now, row.attempt, detail="send_at reached"))
            claimed.append(
                ClaimedMessage(
                    MessageId(row.id),
                    AccountId(row.account_id),
                    row.to_number,
                    row.from_sender,
                    row.body,
                    row.encoding,
                    row.segments,
                    row.is_test,
                    attempt,
                    row.expires_at,
                )
            )
            events.append(_event(row.id, _S.SENDING, now, attempt, detail=detail))
        if claimed:
            _TAKE_LEASE.execute(
                connection,
                {"ids": [m.id for m in claimed], "lease_until": now + self.lease, "now": now},
            )
        if expired:
            connection.execute(
                update(messages)
                .where(messages.c.id.in_(expired))
                .values(
                    status=_S.FAILED,
                    error_code=ErrorCode.VALIDITY_EXPIRED,
                    error_message="The validity period ran out before the message could be sent.",
                    lease_until=None,
                    next_attempt_at=None,
                    updated_at=now,
                )
            )
            refund_unsent(connection, never_sent)
        if events:
            append_events(connection, events)
            enqueue_status_webhooks(connection, [_change(event) for event in events])
        return claimed


def _claim_query(*where: ColumnElement[bool], order_by: Sequence[Any]) -> Prepared:
    """Due messages, oldest first, leaving out senders whose windows are full (`full`)."""
    return Prepared(
        select(
            messages.c.id,
            messages.c.account_id,
            messages.c.to_number,
            messages.c.from_sender,
            messages.c.body,
            messages.c.encoding,
            messages.c.segments,
            messages.c.is_test,
            messages.c.attempt,
            messages.c.expires_at,
            messages.c.status,
        )
        .where(*where, ~any_of(messages.c.from_sender, "full"))
        .order_by(*order_by)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


_CLAIM_EXPIRED = _claim_query(
    messages.c.status == _S.SENDING,
    messages.c.lease_until < bindparam("now"),
    order_by=[messages.c.seq],
)
_CLAIM_WAITING = _claim_query(
    messages.c.status == bindparam("status"),
    messages.c.next_attempt_at <= bindparam("now"),
    order_by=[messages.c.next_attempt_at, messages.c.seq],
)
_TAKE_LEASE = Prepared(
    update(messages)
    .where(any_of(messages.c.id, "ids"))
    .values(
        status=_S.SENDING,
        attempt=messages.c.attempt + 1,
        lease_until=bindparam("lease_until"),
        updated_at=bindparam("now"),
    )
)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """What became of one attempt: `sent`, `retry` at `next_attempt_at`, or `failed`."""

    message_id: MessageId
    attempt: int
    kind: Literal["sent", "retry", "failed"]
    at: datetime
    connector: str | None = None
    carrier_ids: tuple[str, ...] = ()
    next_attempt_at: datetime | None = None
    error_code: int | None = None
    detail: str | None = None

    def run(self, connection: Connection) -> bool:
        return bool(RecordOutcome.run_batch(connection, [self])[0])

    @classmethod
    def run_batch(cls, connection: Connection, jobs: Sequence[RecordOutcome]) -> list[Any]:
        # Read who holds each message first (inside the writer's transaction, so nothing
        # moves in between), then write all current outcomes in one executemany.
        holders = {
            row.id: row.attempt
            for row in _HOLDERS.rows(connection, {"ids": list({job.message_id for job in jobs})})
        }
        current: list[RecordOutcome] = []
        outcomes: list[Any] = []
        for job in jobs:
            is_current = holders.get(job.message_id) == job.attempt
            if is_current:
                current.append(job)
                del holders[job.message_id]  # a second outcome for one attempt is stale too
            else:
                log.warning(
                    "outcome of %s attempt %d ignored: the message moved on",
                    job.message_id,
                    job.attempt,
                )
            outcomes.append(is_current)
        if current:
            _RECORD_OUTCOME.executemany(connection, [job._values() for job in current])
            events = [
                _event(
                    job.message_id,
                    _OUTCOME_STATUS[job.kind],
                    job.at,
                    job.attempt,
                    error_code=job.error_code,
                    detail=job.detail,
                )
                for job in current
            ]
            append_events(connection, events)
            enqueue_status_webhooks(connection, [_change(event) for event in events])
            # The carrier refused it (or it could not be sent): it never left, so it is free.
            refund_unsent(connection, [job.message_id for job in current if job.kind == "failed"])
            # After the `sent` events: a receipt that came early may move a message on at
            # once, and its event and webhook must follow `sent`, not precede it.
            _record_parts(connection, [job for job in current if job.kind == "sent"])
        return outcomes

    def _values(self) -> dict[str, Any]:
        sent = self.kind == "sent"
        return {
            "b_id": self.message_id,
            "b_status": _OUTCOME_STATUS[self.kind],
            "b_at": self.at,
            "b_connector": self.connector,
            "b_carrier_ids": msgspec.json.encode(self.carrier_ids).decode() if sent else None,
            "b_next": self.next_attempt_at,
            "b_code": self.error_code,
            "b_message": None if self.kind == "retry" else self.detail,
        }


def _record_parts(connection: Connection, sent: list[RecordOutcome]) -> None:
    """Store each sent segment's carrier id, then apply the receipts that came first."""
    parts: list[dict[str, Any]] = [
        {
            "message_id": job.message_id,
            "part": index,
            "connector": job.connector,
            "carrier_id": carrier_id,
            "stat": None,
            "err": None,
            "updated_at": job.at,
        }
        for job in sent
        for index, carrier_id in enumerate(job.carrier_ids, start=1)
    ]
    if not parts:
        return
    _upsert_parts(connection.dialect.name).executemany(connection, parts)
    apply_early_receipts(
        connection,
        [
            RecordedPart(
                p["message_id"], p["part"], p["connector"], p["carrier_id"], p["updated_at"]
            )
            for p in parts
        ],
    )


@functools.cache
def _upsert_parts(dialect: str) -> Prepared:
    """Insert parts; a carrier that reuses ids (a restarted simulator, a wrapped counter)
    means the id now names the newer segment, as the older one can no longer be told
    apart. Built once per dialect rather than for every batch."""
    insert = (
        sqlite_insert(message_parts) if dialect == "sqlite" else postgresql_insert(message_parts)
    )
    return Prepared(
        insert.on_conflict_do_update(
            index_elements=["connector", "carrier_id"],
            set_={
                "message_id": insert.excluded.message_id,
                "part": insert.excluded.part,
                "stat": None,
                "err": None,
                "updated_at": insert.excluded.updated_at,
            },
        ),
    )


_OUTCOME_STATUS = {"sent": _S.SENT, "retry": _S.QUEUED, "failed": _S.FAILED}
_HOLDERS = Prepared(
    select(messages.c.id, messages.c.attempt)
    .where(any_of(messages.c.id, "ids"), messages.c.status == _S.SENDING)
    .with_for_update()
)
_RECORD_OUTCOME = Prepared(
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        updated_at=bindparam("b_at"),
        lease_until=None,
        connector=bindparam("b_connector"),
        carrier_ids=bindparam("b_carrier_ids"),
        next_attempt_at=bindparam("b_next"),
        error_code=bindparam("b_code"),
        error_message=bindparam("b_message"),
    )
)

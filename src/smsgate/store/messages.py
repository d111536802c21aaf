"""Messages and their event history: creating them (the API's hot path) and reading them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select

from smsgate.domain.ids import AccountId, MessageId
from smsgate.domain.pricing import format_micros
from smsgate.domain.status import MessageStatus
from smsgate.errors import (
    ConflictError,
    InsufficientBalanceError,
    NotFoundError,
)
from smsgate.store.balances import balances_for_update, debit
from smsgate.store.cursors import decode_cursor, encode_cursor
from smsgate.store.message_events import append_events
from smsgate.store.opt_outs import opted_out_among, opted_out_error
from smsgate.store.pickling import pickled_by_fields
from smsgate.store.prepared import Prepared
from smsgate.store.schema import message_events, messages


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class MessageEvent:
    status: str
    at: datetime
    attempt: int
    error_code: int | None
    detail: str | None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: MessageId
    account_id: AccountId
    direction: str
    to: str
    from_: str
    body: str
    status: str
    encoding: str
    segments: int
    price: str
    price_unit: str
    country: str
    is_test: bool
    status_callback: str | None
    validity_period: int
    expires_at: datetime
    attempt: int
    error_code: int | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    keyword: str | None = None
    """Inbound: the keyword the text was (stop, start, help), if it was one."""
    partial: bool = False
    """Inbound: some parts never arrived; the body is what did."""
    events: tuple[MessageEvent, ...] = field(default=())
    send_at: datetime | None = None


_COLUMNS = {
    "to_number": "to",
    "from_sender": "from_",
}
_RECORD_FIELDS = frozenset(MessageRecord.__dataclass_fields__) - {"events"}


def record_from_row(
    row: Row[*tuple[Any, ...]], events: tuple[MessageEvent, ...] = ()
) -> MessageRecord:
    """A MessageRecord from a row holding the messages columns (other columns are ignored)."""
    return MessageRecord(**{name: row[i] for name, i in _fields_at(row._fields)}, events=events)


@functools.lru_cache(maxsize=256)
def _fields_at(columns: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Each record field a query's columns hold, and its position: worked out once per
    query shape, not once per row (rows of a claim are read by the hundred)."""
    return tuple(
        (_COLUMNS.get(column, column), index)
        for index, column in enumerate(columns)
        if _COLUMNS.get(column, column) in _RECORD_FIELDS
    )


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CreateMessage:
    """Insert one accepted message and its first event (one transaction, with its batch).

    With an `idempotency_key`, an earlier message under the same key is returned instead
    (`replayed=True`) when the request was the same, and ConflictError raised when not.

    `charge_micros` is taken from the account's balance in the same transaction, if the
    account has one; InsufficientBalanceError (and nothing stored) when it cannot cover it.
    """

    record: MessageRecord
    next_attempt_at: datetime | None
    idempotency_key: str | None = None
    request_hash: str | None = None
    charge_micros: int = 0
    # Refuse (21610) a recipient who opted out, in the transaction that would store the
    # message, so a STOP committed just before is never missed. Replies to keywords don't.
    refuse_opted_out: bool = False

    def run(self, connection: Connection) -> tuple[MessageRecord, bool]:
        outcome = CreateMessage.run_batch(connection, [self])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    @classmethod
    def run_batch(cls, connection: Connection, jobs: Sequence[CreateMessage]) -> list[Any]:
        outcomes: list[Any] = [None] * len(jobs)
        seen: dict[tuple[str, str], CreateMessage] = {}
        inserts: list[CreateMessage] = []
        balances = balances_for_update(
            connection, {job.record.account_id for job in jobs if job.charge_micros}
        )
        debits: dict[str, int] = {}
        debited: set[int] = set()  # id() of the jobs paid from a balance
        opted_out = opted_out_among(
            connection,
            {
                (j.record.account_id, j.record.to, j.record.from_)
                for j in jobs
                if j.refuse_opted_out
            },
        )

        def afford(index: int, job: CreateMessage) -> bool:
            r = job.record
            if job.refuse_opted_out and (r.account_id, r.to, r.from_) in opted_out:
                outcomes[index] = opted_out_error(r.to, r.from_)
                return False
            account = job.record.account_id
            if account not in balances or not job.charge_micros:
                return True
            left = balances[account] - debits.get(account, 0)
            if job.charge_micros > left:
                outcomes[index] = job._refusal(left)
                return False
            debits[account] = debits.get(account, 0) + job.charge_micros
            debited.add(id(job))
            return True

        for index, job in enumerate(jobs):
            if job.idempotency_key is None:
                if afford(index, job):
                    inserts.append(job)
                    outcomes[index] = (job.record, False)
                continue
            key = (job.record.account_id, job.idempotency_key)
            earlier = seen.get(key) or _find_by_key(connection, *key)
            if earlier is None:
                if not afford(index, job):
                    continue
                seen[key] = job
                inserts.append(job)
                outcomes[index] = (job.record, False)
            elif earlier.request_hash == job.request_hash:
                outcomes[index] = (earlier.record, True)
            else:
                previous = earlier.record
                outcomes[index] = ConflictError(
                    f"Idempotency-Key '{job.idempotency_key}' was already used for a different "
                    f"request (message {previous.id}). Use a new key for a new message."
                )
        if inserts:
            debit(connection, debits)
            _INSERT_MESSAGE.executemany(
                connection, [job._row(id(job) in debited) for job in inserts]
            )
            append_events(
                connection,
                [
                    {
                        "message_id": job.record.id,
                        "status": job.record.status,
                        "at": job.record.created_at,
                        "attempt": 0,
                        "error_code": None,
                        "detail": None,
                    }
                    for job in inserts
                ],
            )
        return outcomes

    def _refusal(self, left: int) -> InsufficientBalanceError:
        unit = self.record.price_unit
        return InsufficientBalanceError(
            f"This message costs {format_micros(self.charge_micros)} {unit} and the account's "
            f"balance is {format_micros(left)} {unit}. Top it up (smsgate accounts balance "
            "NAME --add AMOUNT) and send again."
        )

    def _row(self, debited: bool) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "account_id": r.account_id,
            "direction": r.direction,
            "to_number": r.to,
            "from_sender": r.from_,
            "body": r.body,
            "status": r.status,
            "encoding": r.encoding,
            "segments": r.segments,
            "price": r.price,
            "price_unit": r.price_unit,
            "country": r.country,
            "is_test": r.is_test,
            "status_callback": r.status_callback,
            "validity_period": r.validity_period,
            "expires_at": r.expires_at,
            "attempt": 0,
            "next_attempt_at": self.next_attempt_at,
            "idempotency_key": self.idempotency_key,
            "request_hash": self.request_hash,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "error_code": r.error_code,
            "error_message": r.error_message,
            "keyword": r.keyword,
            "partial": r.partial,
            "charge_micros": self.charge_micros,
            "send_at": r.send_at,
            "debited": debited,
        }


_INSERT_MESSAGE = Prepared(messages.insert())


def _find_by_key(connection: Connection, account_id: str, key: str) -> CreateMessage | None:
    row = connection.execute(
        select(messages).where(
            messages.c.account_id == account_id, messages.c.idempotency_key == key
        )
    ).first()
    if row is None:
        return None
    return CreateMessage(record_from_row(row), row.next_attempt_at, key, row.request_hash)


def find_message(connection: Connection, message_id: str) -> MessageRecord | None:
    """The message without its events, whoever owns it (for the gateway's own use)."""
    row = connection.execute(select(messages).where(messages.c.id == message_id)).first()
    return record_from_row(row) if row else None


def get_message(connection: Connection, account_id: str, message_id: str) -> MessageRecord:
    """The message with its events, if `account_id` owns it; NotFoundError otherwise."""
    row = connection.execute(
        select(messages).where(messages.c.id == message_id, messages.c.account_id == account_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No message with id '{message_id}' exists in this account.")
    events = tuple(
        MessageEvent(e.status, e.at, e.attempt, e.error_code, e.detail)
        for e in connection.execute(
            select(message_events)
            .where(message_events.c.message_id == message_id)
            .order_by(message_events.c.seq)
        )
    )
    return record_from_row(row, events)


@dataclass(frozen=True, slots=True)
class MessageFilter:
    status: MessageStatus | None = None
    to: str | None = None
    from_: str | None = None
    direction: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def list_messages(
    connection: Connection,
    account_id: str,
    where: MessageFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[MessageRecord], str | None]:
    """One page of the account's messages, newest first, and the cursor of the next page."""
    query = select(messages).where(messages.c.account_id == account_id)
    if cursor is not None:
        query = query.where(messages.c.seq < decode_cursor(cursor))
    if where.status is not None:
        query = query.where(messages.c.status == where.status)
    if where.to is not None:
        query = query.where(messages.c.to_number == where.to)
    if where.from_ is not None:
        query = query.where(messages.c.from_sender == where.from_)
    if where.direction is not None:
        query = query.where(messages.c.direction == where.direction)
    if where.created_after is not None:
        query = query.where(messages.c.created_at > where.created_after)
    if where.created_before is not None:
        query = query.where(messages.c.created_at < where.created_before)
    rows = connection.execute(query.order_by(messages.c.seq.desc()).limit(limit + 1)).all()
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return [record_from_row(row) for row in rows[:limit]], next_cursor


def list_conversation(
    connection: Connection,
    account_id: str,
    our_number: str,
    their_number: str,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[MessageRecord], str | None]:
    """One page of the messages between two numbers, both ways, oldest first."""
    m = messages.c
    query = select(messages).where(
        m.account_id == account_id,
        or_(
            and_(m.from_sender == our_number, m.to_number == their_number),
            and_(m.from_sender == their_number, m.to_number == our_number),
        ),
    )
    if cursor is not None:
        query = query.where(m.seq > decode_cursor(cursor))
    rows = connection.execute(query.order_by(m.seq).limit(limit + 1)).all()
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return [record_from_row(row) for row in rows[:limit]], next_cursor

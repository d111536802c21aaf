"""Opt-outs: who asked not to be texted by an account (or by one of its numbers), and the
audit trail of every opt-out and opt-in with its source and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from smsgate.errors import OptedOutError
from smsgate.store.cursors import decode_cursor, encode_cursor
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.schema import opt_out_events, opt_outs

Source = Literal["keyword", "api", "import"]
# The whole account, in the `number` column (NULL would defeat the unique index).
ACCOUNT_WIDE = ""


@dataclass(frozen=True, slots=True)
class OptOut:
    phone: str
    number: str | None
    """The account's number it applies to; None for every number of the account."""
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OptOutEvent:
    phone: str
    number: str | None
    action: Literal["opt_out", "opt_in"]
    source: str
    at: datetime


def _stored(number: str | None) -> str:
    return ACCOUNT_WIDE if number is None else number


def _loaded(number: str) -> str | None:
    return None if number == ACCOUNT_WIDE else number


def _find(connection: Connection, account_id: str, phone: str, number: str | None) -> OptOut | None:
    row = connection.execute(
        select(opt_outs).where(
            opt_outs.c.account_id == account_id,
            opt_outs.c.phone == phone,
            opt_outs.c.number == _stored(number),
        )
    ).first()
    return OptOut(row.phone, _loaded(row.number), row.source, row.created_at) if row else None


def _audit(
    connection: Connection,
    account_id: str,
    phone: str,
    number: str | None,
    action: str,
    source: Source,
    at: datetime,
) -> None:
    connection.execute(
        opt_out_events.insert().values(
            account_id=account_id,
            phone=phone,
            number=_stored(number),
            action=action,
            source=source,
            at=at,
        )
    )


def opt_out(
    connection: Connection,
    account_id: str,
    phone: str,
    number: str | None,
    *,
    source: Source,
    at: datetime,
) -> tuple[OptOut, bool]:
    """Opt `phone` out of `number` (None: the whole account). Returns the entry and whether
    it is new; an existing entry is left as it was, and nothing is audited for it."""
    existing = _find(connection, account_id, phone, number)
    if existing is not None:
        return existing, False
    try:
        with connection.begin_nested():
            connection.execute(
                opt_outs.insert().values(
                    account_id=account_id,
                    phone=phone,
                    number=_stored(number),
                    source=source,
                    created_at=at,
                )
            )
    except IntegrityError:  # another process opted them out a moment ago
        found = _find(connection, account_id, phone, number)
        assert found is not None
        return found, False
    _audit(connection, account_id, phone, number, "opt_out", source, at)
    return OptOut(phone, number, source, at), True


def opt_in(
    connection: Connection,
    account_id: str,
    phone: str,
    numbers: Sequence[str | None],
    *,
    source: Source,
    at: datetime,
) -> list[OptOut]:
    """Remove the opt-outs of `phone` from each of `numbers` (None: the account-wide one).
    Returns those that existed, each audited as an opt-in."""
    removed = []
    for number in dict.fromkeys(numbers):
        existing = _find(connection, account_id, phone, number)
        if existing is None:
            continue
        connection.execute(
            opt_outs.delete().where(
                opt_outs.c.account_id == account_id,
                opt_outs.c.phone == phone,
                opt_outs.c.number == _stored(number),
            )
        )
        _audit(connection, account_id, phone, number, "opt_in", source, at)
        removed.append(existing)
    return removed


def opted_out_error(phone: str, sender: str) -> OptedOutError:
    return OptedOutError(
        f"{phone} has opted out of messages from {sender} (texted STOP, or was added to "
        "your opt-outs); nothing was sent. They can text START to opt back in.",
        field="to",
    )


def opted_out_among(
    connection: Connection, wanted: set[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    """Which of these (account id, phone, sender) may not be sent to: the phone opted out
    of that sender or of the whole account. One query for all of them."""
    if not wanted:
        return set()
    found = {
        (row.account_id, row.phone, row.number)
        for row in _OPTED_OUT.rows(
            connection,
            {
                "accounts": list({account for account, _, _ in wanted}),
                "phones": list({phone for _, phone, _ in wanted}),
            },
        )
    }
    return {
        (account, phone, sender)
        for account, phone, sender in wanted
        if (account, phone, sender) in found or (account, phone, ACCOUNT_WIDE) in found
    }


_OPTED_OUT = Prepared(
    select(opt_outs.c.account_id, opt_outs.c.phone, opt_outs.c.number).where(
        any_of(opt_outs.c.account_id, "accounts"), any_of(opt_outs.c.phone, "phones")
    )
)


def is_opted_out(connection: Connection, account_id: str, phone: str, sender: str) -> bool:
    """Whether `phone` opted out of `sender` or of the whole account."""
    return bool(opted_out_among(connection, {(account_id, phone, sender)}))


def list_opt_outs(
    connection: Connection,
    account_id: str,
    *,
    phone: str | None = None,
    number: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[OptOut], str | None]:
    """The account's opt-outs, oldest first, a page at a time (all of them with no limit)."""
    query = select(opt_outs).where(opt_outs.c.account_id == account_id)
    if phone is not None:
        query = query.where(opt_outs.c.phone == phone)
    if number is not None:
        query = query.where(opt_outs.c.number == number)
    if cursor is not None:
        query = query.where(opt_outs.c.seq > decode_cursor(cursor))
    query = query.order_by(opt_outs.c.seq)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = connection.execute(query).all()
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    found = [OptOut(r.phone, _loaded(r.number), r.source, r.created_at) for r in rows]
    return found, encode_cursor(rows[-1].seq) if more else None


def list_opt_out_events(
    connection: Connection, account_id: str, *, limit: int, cursor: str | None
) -> tuple[list[OptOutEvent], str | None]:
    """The account's opt-out audit trail, oldest first."""
    query = select(opt_out_events).where(opt_out_events.c.account_id == account_id)
    if cursor is not None:
        query = query.where(opt_out_events.c.seq > decode_cursor(cursor))
    rows = connection.execute(query.order_by(opt_out_events.c.seq).limit(limit + 1)).all()
    page = rows[:limit]
    events = [OptOutEvent(r.phone, _loaded(r.number), r.action, r.source, r.at) for r in page]
    return events, encode_cursor(page[-1].seq) if len(rows) > limit else None

"""Numbers an account owns and sends from, with their sending rate and keyword replies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select
from sqlalchemy.exc import IntegrityError

from smsgate.domain.ids import AccountId, NumberId, new_number_id
from smsgate.domain.keywords import DEFAULT_REPLIES, Keyword
from smsgate.domain.numbers import NumberType, default_mps
from smsgate.errors import ConflictError, InvalidParameterError, NotFoundError
from smsgate.store.schema import numbers


@dataclass(frozen=True, slots=True)
class Number:
    id: NumberId
    account_id: AccountId
    e164: str
    """The number as messages name it: E.164, a short code or an alphanumeric sender ID."""
    inbound_url: str | None
    created_at: datetime
    type: NumberType = NumberType.LONG_CODE
    mps: int | None = None
    status_callback: str | None = None
    marketing: bool = False
    stop_reply: str | None = None
    start_reply: str | None = None
    help_reply: str | None = None

    @property
    def effective_mps(self) -> int:
        return self.mps if self.mps is not None else default_mps(self.type)

    def reply(self, keyword: Keyword) -> str:
        """The text sent back to a handset that texted `keyword`."""
        own = {
            Keyword.STOP: self.stop_reply,
            Keyword.START: self.start_reply,
            Keyword.HELP: self.help_reply,
        }[keyword]
        return own if own is not None else DEFAULT_REPLIES[keyword]


# Columns a PATCH may set (everything but the number itself).
SETTABLE = frozenset(
    {
        "type",
        "mps",
        "inbound_url",
        "status_callback",
        "marketing",
        "stop_reply",
        "start_reply",
        "help_reply",
    }
)


def _from_row(row: Row[Any]) -> Number:
    return Number(
        NumberId(row.id),
        AccountId(row.account_id),
        row.e164,
        row.inbound_url,
        row.created_at,
        NumberType(row.type),
        row.mps,
        row.status_callback,
        bool(row.marketing),
        row.stop_reply,
        row.start_reply,
        row.help_reply,
    )


def add_number(
    connection: Connection,
    account_id: AccountId,
    e164: str,
    *,
    inbound_url: str | None,
    **settings: Any,
) -> Number:
    """Register `e164` (any sender form) for the account; `settings` are SETTABLE columns.

    Raises ConflictError when any account has registered it already.
    """
    unknown = set(settings) - SETTABLE
    if unknown:
        raise ValueError(f"not number settings: {sorted(unknown)}")
    number = Number(new_number_id(), account_id, e164, inbound_url, datetime.now(UTC), **settings)
    try:
        with connection.begin_nested():
            connection.execute(
                numbers.insert().values(
                    id=number.id,
                    account_id=account_id,
                    e164=e164,
                    inbound_url=inbound_url,
                    created_at=number.created_at,
                    type=number.type.value,
                    mps=number.mps,
                    status_callback=number.status_callback,
                    marketing=number.marketing,
                    stop_reply=number.stop_reply,
                    start_reply=number.start_reply,
                    help_reply=number.help_reply,
                )
            )
    except IntegrityError:
        raise ConflictError(f"The number {e164} is already registered.") from None
    return number


def list_numbers(connection: Connection, account_id: AccountId | None = None) -> list[Number]:
    query = select(numbers).order_by(numbers.c.created_at, numbers.c.id)
    if account_id is not None:
        query = query.where(numbers.c.account_id == account_id)
    return [_from_row(r) for r in connection.execute(query)]


def number_rates(connection: Connection) -> list[tuple[str, str, float | None]]:
    """Every registered number with its type and its own messages-per-second cap (or None)."""
    return [
        (row.e164, row.type, row.mps)
        for row in connection.execute(select(numbers.c.e164, numbers.c.type, numbers.c.mps))
    ]


def _encode_cursor(number: Number) -> str:
    text = f"n{number.created_at.isoformat()}|{number.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("n"):
            raise ValueError(text)
        at, _, number_id = text[1:].partition("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not number_id:
            raise ValueError(text)
        return when, number_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterError(
            f"Cursor '{cursor}' is not one this API gave out; pass 'next_cursor' from a "
            "previous page unchanged.",
            field="cursor",
        ) from None


def list_numbers_page(
    connection: Connection, account_id: AccountId, *, limit: int, cursor: str | None
) -> tuple[list[Number], str | None]:
    """One page of the account's numbers, oldest first, and the next page's cursor."""
    query = select(numbers).where(numbers.c.account_id == account_id)
    if cursor is not None:
        at, number_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                numbers.c.created_at > at,
                and_(numbers.c.created_at == at, numbers.c.id > number_id),
            )
        )
    rows = connection.execute(
        query.order_by(numbers.c.created_at, numbers.c.id).limit(limit + 1)
    ).all()
    page = [_from_row(r) for r in rows[:limit]]
    return page, _encode_cursor(page[-1]) if len(rows) > limit else None


def get_number(connection: Connection, account_id: AccountId, number_id: str) -> Number:
    """The account's number with id `number_id`; NotFoundError for anyone else's."""
    row = connection.execute(
        select(numbers).where(numbers.c.id == number_id, numbers.c.account_id == account_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No number with id '{number_id}' exists in this account.")
    return _from_row(row)


def find_number(connection: Connection, e164: str) -> Number | None:
    """The registered number `e164`, whoever owns it (inbound routing)."""
    row = connection.execute(select(numbers).where(numbers.c.e164 == e164)).first()
    return _from_row(row) if row else None


def update_number(
    connection: Connection, account_id: AccountId, number_id: str, changes: dict[str, Any]
) -> Number:
    """Set SETTABLE columns of the account's number; NotFoundError for anyone else's."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise ValueError(f"not number settings: {sorted(unknown)}")
    get_number(connection, account_id, number_id)
    if changes:
        values = {k: (v.value if isinstance(v, NumberType) else v) for k, v in changes.items()}
        connection.execute(
            numbers.update()
            .where(numbers.c.id == number_id, numbers.c.account_id == account_id)
            .values(**values)
        )
    return get_number(connection, account_id, number_id)


def remove_number(connection: Connection, account_id: AccountId, number_id: str) -> Number:
    number = get_number(connection, account_id, number_id)
    connection.execute(numbers.delete().where(numbers.c.id == number_id))
    return number


def owns_number(connection: Connection, account_id: AccountId, e164: str) -> bool:
    row = connection.execute(
        select(numbers.c.id).where(numbers.c.account_id == account_id, numbers.c.e164 == e164)
    ).first()
    return row is not None

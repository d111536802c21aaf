"""Numbers an account owns and sends from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from smsgate.domain.ids import AccountId, NumberId, new_number_id
from smsgate.errors import ConflictError
from smsgate.store.schema import numbers


@dataclass(frozen=True, slots=True)
class Number:
    id: NumberId
    account_id: AccountId
    e164: str
    inbound_url: str | None
    created_at: datetime


def add_number(
    connection: Connection, account_id: AccountId, e164: str, *, inbound_url: str | None
) -> Number:
    number = Number(new_number_id(), account_id, e164, inbound_url, datetime.now(UTC))
    try:
        with connection.begin_nested():
            connection.execute(
                numbers.insert().values(
                    id=number.id,
                    account_id=account_id,
                    e164=e164,
                    inbound_url=inbound_url,
                    created_at=number.created_at,
                )
            )
    except IntegrityError:
        raise ConflictError(f"The number {e164} is already registered.") from None
    return number


def list_numbers(connection: Connection, account_id: AccountId | None = None) -> list[Number]:
    query = select(numbers).order_by(numbers.c.created_at)
    if account_id is not None:
        query = query.where(numbers.c.account_id == account_id)
    return [
        Number(NumberId(r.id), AccountId(r.account_id), r.e164, r.inbound_url, r.created_at)
        for r in connection.execute(query)
    ]


def owns_number(connection: Connection, account_id: AccountId, e164: str) -> bool:
    row = connection.execute(
        select(numbers.c.id).where(numbers.c.account_id == account_id, numbers.c.e164 == e164)
    ).first()
    return row is not None

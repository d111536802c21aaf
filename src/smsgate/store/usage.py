"""What an account sent and spent, by UTC day and destination country (and, for the
operator, by the connector that carried it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from smsgate.domain.status import Direction
from smsgate.store.schema import messages


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: str
    country: str
    messages: int
    segments: int
    charge_micros: int
    connector: str | None = None  # only in by_connector reports; None: never handed over


def _day(connection: Connection) -> Any:
    # SQLite keeps times as fixed-width UTC ISO text (see schema.UTCDateTime).
    if connection.dialect.name == "sqlite":
        return func.substr(messages.c.created_at, 1, 10)
    return func.to_char(func.timezone("UTC", messages.c.created_at), "YYYY-MM-DD")


def usage(
    connection: Connection,
    account_id: str | None,
    start: date,
    end: date,
    *,
    by_connector: bool = False,
) -> list[UsageRow]:
    """Outbound messages created from `start` to `end` (both whole UTC days), with what
    they cost after refunds, by day and country (and connector) in that order. With
    `account_id` None, every account's."""
    day = _day(connection).label("day")
    groups: list[Any] = [day, messages.c.country]
    if by_connector:
        groups.append(messages.c.connector)
    query = select(
        *groups,
        func.count().label("messages"),
        func.sum(messages.c.segments).label("segments"),
        func.sum(messages.c.charge_micros).label("charge"),
    ).where(
        messages.c.direction == Direction.OUTBOUND_API,
        messages.c.created_at >= datetime.combine(start, time(), UTC),
        messages.c.created_at < datetime.combine(end + timedelta(days=1), time(), UTC),
    )
    if account_id is not None:
        query = query.where(messages.c.account_id == account_id)
    rows = connection.execute(query.group_by(*groups).order_by(*groups))
    return [
        UsageRow(
            row.day,
            row.country,
            int(row.messages),
            int(row.segments),
            int(row.charge),
            row.connector if by_connector else None,
        )
        for row in rows
    ]

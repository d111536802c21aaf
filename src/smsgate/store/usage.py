"""What an account sent and spent, by UTC day and destination country."""

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


def _day(connection: Connection) -> Any:
    # SQLite keeps times as fixed-width UTC ISO text (see schema.UTCDateTime).
    if connection.dialect.name == "sqlite":
        return func.substr(messages.c.created_at, 1, 10)
    return func.to_char(func.timezone("UTC", messages.c.created_at), "YYYY-MM-DD")


def usage(connection: Connection, account_id: str, start: date, end: date) -> list[UsageRow]:
    """Outbound messages created from `start` to `end` (both whole UTC days), with what
    they cost after refunds, by day and country in that order."""
    day = _day(connection).label("day")
    rows = connection.execute(
        select(
            day,
            messages.c.country,
            func.count().label("messages"),
            func.sum(messages.c.segments).label("segments"),
            func.sum(messages.c.charge_micros).label("charge"),
        )
        .where(
            messages.c.account_id == account_id,
            messages.c.direction == Direction.OUTBOUND_API,
            messages.c.created_at >= datetime.combine(start, time(), UTC),
            messages.c.created_at < datetime.combine(end + timedelta(days=1), time(), UTC),
        )
        .group_by(day, messages.c.country)
        .order_by(day, messages.c.country)
    )
    return [
        UsageRow(row.day, row.country, int(row.messages), int(row.segments), int(row.charge))
        for row in rows
    ]

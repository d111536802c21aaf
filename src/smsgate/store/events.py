"""An account's status changes in the order they happened, read from the audit trail.

`GET /v1/events` streams these: every message event has a sequence number, so a client
that reconnects says where it stopped (`Last-Event-ID`) and misses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from smsgate.store.messages import MessageRecord, record_from_row
from smsgate.store.schema import message_events, messages


@dataclass(frozen=True, slots=True)
class AccountEvent:
    seq: int
    status: str
    attempt: int
    at: datetime
    error_code: int | None
    detail: str | None
    message: MessageRecord


def latest_event_seq(connection: Connection) -> int:
    return int(
        connection.execute(select(func.coalesce(func.max(message_events.c.seq), 0))).scalar_one()
    )


def events_since(
    connection: Connection, account_id: str, after_seq: int, limit: int = 200
) -> list[AccountEvent]:
    """The account's events after `after_seq`, oldest first, each with its message."""
    e = message_events
    rows = connection.execute(
        select(
            e.c.seq.label("event_seq"),
            e.c.status.label("event_status"),
            e.c.attempt.label("event_attempt"),
            e.c.at.label("event_at"),
            e.c.error_code.label("event_error_code"),
            e.c.detail.label("event_detail"),
            messages,
        )
        .join(messages, messages.c.id == e.c.message_id)
        .where(messages.c.account_id == account_id, e.c.seq > after_seq)
        .order_by(e.c.seq)
        .limit(limit)
    ).all()
    return [
        AccountEvent(
            row.event_seq,
            row.event_status,
            row.event_attempt,
            row.event_at,
            row.event_error_code,
            row.event_detail,
            record_from_row(row),
        )
        for row in rows
    ]

"""Applying a carrier's delivery receipt to the message it is about."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select, update

from smsgate.domain.receipts import aggregate, receipt_outcome
from smsgate.domain.status import MessageStatus, can_transition
from smsgate.store.schema import message_events, message_parts, messages
from smsgate.store.webhooks import StatusChange, enqueue_status_webhooks

log = logging.getLogger(__name__)
ReceiptResult = Literal["applied", "pending", "unchanged", "unknown"]


@dataclass(frozen=True, slots=True)
class ApplyReceipt:
    """Record one segment's receipt and move the message if its outcome is now known.

    Statuses only move forward: a late or repeated receipt after a final status changes
    nothing and appends no event.
    """

    connector: str
    carrier_id: str
    stat: str
    err: str | None
    at: datetime

    def run(self, connection: Connection) -> ReceiptResult:
        part = connection.execute(
            select(message_parts.c.message_id, message_parts.c.part).where(
                message_parts.c.connector == self.connector,
                message_parts.c.carrier_id == self.carrier_id,
            )
        ).first()
        if part is None:
            return "unknown"
        connection.execute(
            update(message_parts)
            .where(
                message_parts.c.message_id == part.message_id,
                message_parts.c.part == part.part,
            )
            .values(stat=self.stat, err=self.err, updated_at=self.at)
        )
        parts = connection.execute(
            select(message_parts.c.stat, message_parts.c.err).where(
                message_parts.c.message_id == part.message_id
            )
        ).all()
        outcome = aggregate(receipt_outcome(p.stat, p.err) for p in parts)
        if outcome is None:
            return "pending"
        current, attempt = connection.execute(
            select(messages.c.status, messages.c.attempt).where(messages.c.id == part.message_id)
        ).one()
        if current == outcome.status or not can_transition(MessageStatus(current), outcome.status):
            return "unchanged"
        connection.execute(
            update(messages)
            .where(messages.c.id == part.message_id)
            .values(
                status=outcome.status,
                error_code=outcome.error_code,
                error_message=None if outcome.error_code is None else outcome.detail,
                updated_at=self.at,
            )
        )
        detail = f"{outcome.detail} (receipt: stat {self.stat}, err {self.err or '-'})"
        connection.execute(
            message_events.insert().values(
                message_id=part.message_id,
                status=outcome.status,
                at=self.at,
                attempt=attempt,
                error_code=outcome.error_code,
                detail=detail,
            )
        )
        enqueue_status_webhooks(
            connection,
            [StatusChange(part.message_id, outcome.status, self.at, outcome.error_code, detail)],
        )
        return "applied"

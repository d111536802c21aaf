"""Canceling a message that has not left yet: scheduled, or queued (waiting or between
attempts). One in the middle of a submit, or already sent, is past the point of canceling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from smsgate.domain.status import MessageStatus
from smsgate.errors import ConflictError, NotFoundError
from smsgate.store.balances import refund_unsent
from smsgate.store.message_events import append_events
from smsgate.store.messages import MessageRecord, get_message
from smsgate.store.schema import messages
from smsgate.store.webhooks import StatusChange, enqueue_status_webhooks

CANCELABLE = (MessageStatus.SCHEDULED, MessageStatus.QUEUED)


@dataclass(frozen=True, slots=True)
class CancelMessage:
    """Move the account's message to `canceled`, with its event, webhook and refund."""

    account_id: str
    message_id: str
    at: datetime

    def run(self, connection: Connection) -> MessageRecord:
        status = connection.execute(
            select(messages.c.status)
            .where(messages.c.id == self.message_id, messages.c.account_id == self.account_id)
            .with_for_update()
        ).scalar()
        if status is None:
            raise NotFoundError(f"No message with id '{self.message_id}' exists in this account.")
        if status not in CANCELABLE:
            raise ConflictError(
                f"Message {self.message_id} is {status}: only a scheduled or queued message can "
                "be canceled, and this one is past that point."
            )
        connection.execute(
            update(messages)
            .where(messages.c.id == self.message_id, messages.c.status.in_(CANCELABLE))
            .values(
                status=MessageStatus.CANCELED,
                next_attempt_at=None,
                lease_until=None,
                updated_at=self.at,
            )
        )
        detail = f"Canceled while {status}."
        append_events(
            connection,
            [
                {
                    "message_id": self.message_id,
                    "status": MessageStatus.CANCELED,
                    "at": self.at,
                    "attempt": 0,
                    "error_code": None,
                    "detail": detail,
                }
            ],
        )
        enqueue_status_webhooks(
            connection,
            [StatusChange(self.message_id, MessageStatus.CANCELED, self.at, None, detail)],
        )
        refund_unsent(connection, [self.message_id])
        return get_message(connection, self.account_id, self.message_id)

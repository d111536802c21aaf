"""What a receiver is sent: the event, and the message as it stood at that event.

The same body goes to webhooks and to `smsgate listen` (through `GET /v1/events`), so a
handler written against one works against the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import msgspec

from smsgate.domain.times import iso_timestamp

MESSAGE_STATUS = "message.status"
MESSAGE_RECEIVED = "message.received"
_encoder = msgspec.json.Encoder()


class MessageFields(Protocol):
    """What a body tells of its message: a MessageRecord, or a row with these columns."""

    @property
    def id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def from_(self) -> str: ...
    @property
    def to(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def encoding(self) -> str: ...
    @property
    def segments(self) -> int: ...
    @property
    def price(self) -> str: ...
    @property
    def price_unit(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def keyword(self) -> str | None: ...
    @property
    def partial(self) -> bool: ...


def event_body(event_type: str, event: dict[str, Any], message: MessageFields) -> str:
    """The JSON body for `event` ({status, at, error_code, detail}) of `message`."""
    data: dict[str, Any] = {
        "id": message.id,
        "account_id": message.account_id,
        "direction": message.direction,
        "from": message.from_,
        "to": message.to,
        "body": message.body if event_type == MESSAGE_RECEIVED else None,
        "status": event["status"],
        "error_code": event["error_code"],
        "error_message": event["detail"] if event["error_code"] else None,
        "detail": event["detail"],
        "encoding": message.encoding,
        "segments": message.segments,
        "price": message.price,
        "price_unit": message.price_unit,
        "created_at": iso_timestamp(message.created_at),
    }
    if event_type == MESSAGE_RECEIVED:
        # Inbound: which keyword the text was (null for an ordinary message), and whether
        # parts of it never arrived (see the README's "Inbound messages").
        data["keyword"] = message.keyword
        data["partial"] = message.partial
    return _encoder.encode({"type": event_type, "timestamp": event["at"], "data": data}).decode()

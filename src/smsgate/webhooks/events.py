"""What a receiver is sent: the event, and the message as it stood at that event.

The same body goes to webhooks and to `smsgate listen` (through `GET /v1/events`), so a
handler written against one works against the other.
"""

from __future__ import annotations

from typing import Any

import msgspec

from smsgate.store.messages import MessageRecord

MESSAGE_STATUS = "message.status"
MESSAGE_RECEIVED = "message.received"
_encoder = msgspec.json.Encoder()


def _iso(value: Any) -> str:
    return str(value.isoformat(timespec="microseconds").replace("+00:00", "Z"))


def event_body(event_type: str, event: dict[str, Any], message: MessageRecord) -> str:
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
        "created_at": _iso(message.created_at),
    }
    if event_type == MESSAGE_RECEIVED:
        # Inbound: which keyword the text was (null for an ordinary message), and whether
        # parts of it never arrived (see the README's "Inbound messages").
        data["keyword"] = message.keyword
        data["partial"] = message.partial
    return _encoder.encode({"type": event_type, "timestamp": event["at"], "data": data}).decode()

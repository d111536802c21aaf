"""How our records look on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smsgate.domain.encoding import EncodedBody
from smsgate.domain.times import iso_timestamp
from smsgate.store.messages import MessageRecord


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else iso_timestamp(value)


def message_resource(record: MessageRecord) -> dict[str, Any]:
    created_at = timestamp(record.created_at)
    updated_at = (
        created_at if record.updated_at == record.created_at else timestamp(record.updated_at)
    )
    resource: dict[str, Any] = {
        "id": record.id,
        "account_id": record.account_id,
        "direction": record.direction,
        "from": record.from_,
        "to": record.to,
        "body": record.body,
        "status": record.status,
        "encoding": record.encoding,
        "segments": record.segments,
        "price": record.price,
        "price_unit": record.price_unit,
        "test": record.is_test,
        "status_callback": record.status_callback,
        "validity_period": record.validity_period,
        "send_at": timestamp(record.send_at),
        "attempts": record.attempt,
        "error_code": record.error_code,
        "error_message": record.error_message,
        "created_at": created_at,
        "updated_at": updated_at,
        "uri": f"/v1/messages/{record.id}",
    }
    if record.direction == "inbound":
        resource["keyword"] = record.keyword
        resource["partial"] = record.partial
    if record.events:
        resource["events"] = [
            {
                "status": e.status,
                "at": timestamp(e.at),
                "attempt": e.attempt,
                "error_code": e.error_code,
                "detail": e.detail,
            }
            for e in record.events
        ]
    return resource


def smart_encoding_resource(encoded: EncodedBody, *, enabled: bool) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "applied": bool(encoded.replacements),
        "replacements": [{"from": a, "to": b} for a, b in encoded.replacements],
    }

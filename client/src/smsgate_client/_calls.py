"""The API's requests, described once for the sync and the async client.

Each function checks its arguments and returns the `ApiRequest` to send; the resources in
`_sync` and `_async` send it and parse the answer with the models.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, Literal
from urllib.parse import quote

from smsgate_client._errors import InvalidRequestError
from smsgate_client._http import ApiRequest
from smsgate_client._models import KeywordReplies


class NotGiven(Enum):
    """Marks an argument left out, where None means "set it to null"."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven.NOT_GIVEN
DEFAULT_PAGE_SIZE = 100

Direction = Literal["outbound-api", "inbound"]


def new_idempotency_key() -> str:
    """A fresh key for one logical send; every retry of that send reuses it."""
    return f"sdk-{uuid.uuid4().hex}"


def _iso(value: datetime | date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone; give an aware datetime (e.g. UTC).")
    return value.isoformat()


def _message_body(
    to: str,
    body: str,
    from_: str | None,
    default_from: str | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    sender = from_ or default_from
    if not sender:
        raise InvalidRequestError(
            "Give from_= (a number of your account or a sender ID), or default_from= to "
            "the client, or set SMSGATE_FROM.",
            field="from",
        )
    payload: dict[str, Any] = {"to": to, "from": sender, "body": body}
    # Only what is given goes on the wire: an older gateway refuses fields it does not know.
    payload.update({k: v for k, v in extra.items() if v is not None})
    return payload


def send_message(
    to: str,
    body: str,
    *,
    from_: str | None,
    default_from: str | None,
    status_callback: str | None,
    send_at: datetime | str | None,
    validity_period: int | None,
    smart_encoding: bool | None,
    idempotency_key: str | None,
) -> ApiRequest:
    payload = _message_body(
        to,
        body,
        from_,
        default_from,
        {
            "status_callback": status_callback,
            "send_at": _iso(send_at),
            "validity_period": validity_period,
            "smart_encoding": smart_encoding,
        },
    )
    return ApiRequest(
        "POST",
        "/v1/messages",
        json=payload,
        headers={"Idempotency-Key": idempotency_key or new_idempotency_key()},
        replay_safe=True,  # the gateway deduplicates on the Idempotency-Key
    )


def preview_message(
    to: str,
    body: str,
    *,
    from_: str | None,
    default_from: str | None,
    validity_period: int | None,
    smart_encoding: bool | None,
) -> ApiRequest:
    payload = _message_body(
        to,
        body,
        from_,
        default_from,
        {"validity_period": validity_period, "smart_encoding": smart_encoding},
    )
    return ApiRequest("POST", "/v1/messages/preview", json=payload)


def _id(value: str, what: str) -> str:
    if not value or "/" in value:
        raise ValueError(f"{value!r} is not a {what} id.")
    return quote(value, safe="")


def get_message(message_id: str) -> ApiRequest:
    return ApiRequest("GET", f"/v1/messages/{_id(message_id, 'message')}")


def cancel_message(message_id: str) -> ApiRequest:
    return ApiRequest("POST", f"/v1/messages/{_id(message_id, 'message')}/cancel")


def message_filters(
    *,
    status: str | None,
    to: str | None,
    from_: str | None,
    direction: Direction | None,
    created_after: datetime | None,
    created_before: datetime | None,
) -> dict[str, Any]:
    return {
        "status": status,
        "to": to,
        "from": from_,
        "direction": direction,
        "created_after": _iso(created_after),
        "created_before": _iso(created_before),
    }


def create_number(
    number: str,
    *,
    type: str | None,
    inbound_url: str | None,
    status_callback: str | None,
    mps: int | None,
    marketing: bool,
    keyword_replies: KeywordReplies | None,
) -> ApiRequest:
    payload: dict[str, Any] = {
        "number": number,
        "inbound_url": inbound_url,
        "status_callback": status_callback,
        "mps": mps,
        "marketing": marketing,
    }
    if type is not None:
        payload["type"] = type
    if keyword_replies is not None:
        payload["keyword_replies"] = keyword_replies.to_json()
    # Not replay-safe: a second POST after a lost answer would be a 409.
    return ApiRequest("POST", "/v1/numbers", json=payload, replay_safe=False)


def get_number(number_id: str) -> ApiRequest:
    return ApiRequest("GET", f"/v1/numbers/{_id(number_id, 'number')}")


def update_number(number_id: str, changes: Mapping[str, Any]) -> ApiRequest:
    payload = {k: v for k, v in changes.items() if v is not NOT_GIVEN}
    if isinstance(payload.get("keyword_replies"), KeywordReplies):
        payload["keyword_replies"] = payload["keyword_replies"].to_json()
    return ApiRequest("PATCH", f"/v1/numbers/{_id(number_id, 'number')}", json=payload)


def delete_number(number_id: str) -> ApiRequest:
    return ApiRequest("DELETE", f"/v1/numbers/{_id(number_id, 'number')}")


def add_opt_out(phone: str, number: str | None) -> ApiRequest:
    payload: dict[str, Any] = {"phone": phone}
    if number is not None:
        payload["number"] = number
    # Replay-safe: adding an opt-out that exists answers it again.
    return ApiRequest("POST", "/v1/opt-outs", json=payload)


def remove_opt_out(phone: str, number: str | None) -> ApiRequest:
    return ApiRequest("DELETE", f"/v1/opt-outs/{quote(phone, safe='')}", params={"number": number})


OptOutRow = str | tuple[str, str | None] | Mapping[str, Any]


def import_opt_outs(rows: Iterable[OptOutRow] | None, csv: str | bytes | None) -> ApiRequest:
    """JSON rows (a phone, a (phone, number) pair, or a mapping), or a CSV document."""
    if (rows is None) == (csv is None):
        raise ValueError("Give either rows or csv= to import_, not both.")
    if csv is not None:
        content = csv.encode() if isinstance(csv, str) else csv
        return ApiRequest(
            "POST",
            "/v1/opt-outs/import",
            content=content,
            headers={"Content-Type": "text/csv"},
        )
    items: list[dict[str, Any]] = []
    for row in rows or ():
        if isinstance(row, str):
            items.append({"phone": row})
        elif isinstance(row, tuple):
            phone, number = row
            items.append({"phone": phone, **({"number": number} if number else {})})
        else:
            items.append(dict(row))
    return ApiRequest("POST", "/v1/opt-outs/import", json={"opt_outs": items})


def usage(start: date | str, end: date | str) -> ApiRequest:
    return ApiRequest("GET", "/v1/usage", params={"start": _iso(start), "end": _iso(end)})


def redeliver_webhook(delivery_id: str) -> ApiRequest:
    return ApiRequest("POST", f"/v1/webhook-deliveries/{_id(delivery_id, 'delivery')}/redeliver")


def page_request(
    path: str, filters: Mapping[str, Any], limit: int, cursor: str | None
) -> ApiRequest:
    if not 1 <= limit <= 1000:
        raise ValueError(f"page_size is {limit}; give 1 to 1000.")
    return ApiRequest("GET", path, params={**filters, "limit": limit, "cursor": cursor})

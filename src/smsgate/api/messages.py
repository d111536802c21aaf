"""`/v1/messages`: send (now or at `send_at`), preview, cancel, look up and list messages.

`POST /v1/messages` is the hot path: it reads the body with msgspec (one pass, strict),
validates with pure domain functions, and awaits the group-commit writer, so a 201 is
sent only once the row is committed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from smsgate.api._fastpath import fast, json_response, page_response
from smsgate.api._ownership import NumberOwnership
from smsgate.api._queue_cap import QueueCap
from smsgate.api.auth import Principal
from smsgate.api.problems import problem
from smsgate.api.resources import message_resource, smart_encoding_resource, timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.content import ContentWarning, check_content
from smsgate.domain.ids import AccountId, new_message_id
from smsgate.domain.pricing import to_micros
from smsgate.domain.schedule import check_send_at
from smsgate.domain.status import Direction, MessageStatus
from smsgate.domain.submission import MessagePlan, plan_message
from smsgate.errors import (
    ContentRejectedError,
    EmptyBodyError,
    ErrorCode,
    FromNotOwnedError,
    InvalidFromError,
    InvalidParameterError,
    InvalidToError,
    ValidationError,
)
from smsgate.store.cancellation import CancelMessage
from smsgate.store.messages import (
    CreateMessage,
    MessageFilter,
    MessageRecord,
    get_message,
    list_messages,
)
from smsgate.store.opt_outs import is_opted_out, opted_out_error
from smsgate.webhooks.urls import check_webhook_url


class SendRequest(msgspec.Struct, forbid_unknown_fields=True, rename={"from_": "from"}):
    """The body of `POST /v1/messages` and `POST /v1/messages/preview`."""

    to: str
    body: str
    from_: str
    status_callback: str | None = None
    validity_period: int | None = None
    smart_encoding: bool | None = None
    send_at: datetime | None = None


_decoder = msgspec.json.Decoder(SendRequest)
_encoder = msgspec.json.Encoder()
_FIELD_ERRORS: dict[str, type[ValidationError]] = {
    "to": InvalidToError,
    "from": InvalidFromError,
    "body": EmptyBodyError,
}
MAX_IDEMPOTENCY_KEY = 255


def _decode(request_body: bytes, content_type: str | None) -> SendRequest:
    if not content_type or content_type.split(";")[0].strip().lower() != "application/json":
        raise _UnsupportedMediaType(content_type)
    try:
        return _decoder.decode(request_body)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = message.rpartition("at `$.")[2].rstrip("`") if "at `$." in message else None
        if "unknown field" in message:
            field = message.split("`")[1]
            raise ValidationError(
                f"'{field}' is not a field of a message; the fields are to, from, body, "
                "status_callback, validity_period, smart_encoding and send_at.",
                field=field,
            ) from None
        if message.startswith("Object missing required field"):
            field = message.split("`")[1]
        error = _FIELD_ERRORS.get(field or "", ValidationError)
        raise error(
            f"{message.split(' - at ')[0]}{f' (field {field!r})' if field else ''}.", field=field
        ) from None
    except msgspec.DecodeError as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}.") from None


class _UnsupportedMediaType(Exception):
    def __init__(self, content_type: str | None) -> None:
        self.content_type = content_type


def _request_hash(request: SendRequest) -> str:
    return hashlib.sha256(_encoder.encode(request)).hexdigest()


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/messages", tags=["messages"])
    settings = services.settings
    ownership = NumberOwnership(services.database, ttl=settings.auth.cache_seconds)
    queue_cap = QueueCap(services.database, settings.limits.queue_cap)
    min_lead = timedelta(seconds=settings.messages.schedule_min_lead)
    max_lead = timedelta(seconds=settings.messages.schedule_max_lead)

    def scheduled_for(request: SendRequest, now: datetime) -> datetime | None:
        if request.send_at is None:
            return None
        return check_send_at(request.send_at, now=now, min_lead=min_lead, max_lead=max_lead)

    auth = services.auth
    allow_private = settings.webhook.allow_private
    reject_content = settings.content.policy == "reject"

    async def plan(
        principal: Principal, request: SendRequest, *, read_opt_outs: bool
    ) -> tuple[MessagePlan, list[ContentWarning]]:
        """Validate and price a send. `read_opt_outs`: refuse an opted-out recipient here
        (a preview); a create leaves that to the transaction that stores the message."""
        smart = (
            settings.messages.smart_encoding
            if request.smart_encoding is None
            else request.smart_encoding
        )
        result = plan_message(
            to=request.to,
            from_=request.from_,
            body=request.body,
            validity_period=request.validity_period,
            default_validity_period=settings.messages.default_validity_period,
            smart_encoding=smart,
            prices=services.prices,
        )
        account_id, sender = principal.account_id, result.sender.value
        if result.sender.is_owned_number and not await ownership.owns(account_id, sender):
            raise FromNotOwnedError(
                f"{sender} is not a number of this account. Send from one of its "
                "numbers (GET /v1/numbers) or from an alphanumeric sender ID.",
                field="from",
            )
        if request.status_callback is not None:
            check_webhook_url(
                request.status_callback, allow_private=allow_private, field="status_callback"
            )
        to = result.destination.e164
        if read_opt_outs and await services.database.read(
            lambda c: is_opted_out(c, account_id, to, sender)
        ):
            raise opted_out_error(to, sender)
        warnings = check_content(
            request.body, marketing=await ownership.is_marketing(account_id, sender)
        )
        if warnings and reject_content:
            raise ContentRejectedError(
                "The text looks like spam to carriers' filters, and this gateway's content "
                f"policy is 'reject': {' '.join(w.detail for w in warnings)}",
                field="body",
            )
        return result, warnings

    async def read_request(request: Request) -> SendRequest | Response:
        try:
            return _decode(await request.body(), request.headers.get("content-type"))
        except _UnsupportedMediaType as exc:
            return problem(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                f"Send the message as JSON with 'Content-Type: application/json' "
                f"(got {exc.content_type or 'no content type'!r}).",
            )

    @router.post(
        "",
        status_code=201,
        summary="Send a message",
        openapi_extra={"requestBody": _REQUEST_BODY, "parameters": [_IDEMPOTENCY_PARAMETER]},
        responses={201: {"description": "Accepted and queued; the row is committed."}},
    )
    @fast
    async def create(request: Request) -> Response:
        principal = await auth(request)
        parsed = await read_request(request)
        if isinstance(parsed, Response):
            return parsed
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidParameterError(
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
                field="Idempotency-Key",
            )
        result, warnings = await plan(principal, parsed, read_opt_outs=False)
        now = datetime.now(UTC)
        send_at = scheduled_for(parsed, now)
        if send_at is None:
            await queue_cap.reserve(principal.account_id)
        starts = send_at or now
        record = MessageRecord(
            id=new_message_id(),
            account_id=principal.account_id,
            direction=Direction.OUTBOUND_API,
            to=result.destination.e164,
            from_=result.sender.value,
            body=result.encoded.text,
            status=MessageStatus.QUEUED if send_at is None else MessageStatus.SCHEDULED,
            encoding=result.encoded.encoding,
            segments=len(result.encoded.segments),
            price=str(result.price),
            price_unit=result.price_unit,
            country=result.destination.country,
            is_test=principal.is_test,
            status_callback=parsed.status_callback,
            validity_period=result.validity_period,
            expires_at=starts + timedelta(seconds=result.validity_period),
            attempt=0,
            error_code=None,
            error_message=None,
            created_at=now,
            updated_at=now,
            send_at=send_at,
        )
        stored, replayed = await services.writer.submit(
            CreateMessage(
                record,
                next_attempt_at=starts,
                idempotency_key=idempotency_key,
                request_hash=_request_hash(parsed) if idempotency_key is not None else None,
                charge_micros=to_micros(result.price),
                refuse_opted_out=True,
            )
        )
        headers = [(b"location", f"/v1/messages/{stored.id}".encode())]
        if replayed:
            headers.append((b"idempotent-replayed", b"true"))
        else:
            services.on_accepted()
        resource = message_resource(stored)
        resource["smart_encoding"] = smart_encoding_resource(
            result.encoded, enabled=result.smart_encoding
        )
        resource["warnings"] = [_warning(w) for w in warnings]
        return json_response(resource, 201, headers)

    @router.post(
        "/preview",
        summary="Validate a message and show its segments and price, without sending",
        openapi_extra={"requestBody": _REQUEST_BODY},
    )
    async def preview(request: Request) -> Response:
        principal = await auth(request)
        parsed = await read_request(request)
        if isinstance(parsed, Response):
            return parsed
        result, warnings = await plan(principal, parsed, read_opt_outs=True)
        send_at = scheduled_for(parsed, datetime.now(UTC))
        encoded = result.encoded
        return json_response(
            {
                "to": result.destination.e164,
                "from": result.sender.value,
                "body": encoded.text,
                "encoding": encoded.encoding,
                "segments": len(encoded.segments),
                "parts": list(encoded.segments),
                "characters": encoded.characters,
                "units": encoded.units,
                "characters_per_segment": encoded.units_per_segment,
                "price": str(result.price),
                "price_unit": result.price_unit,
                "country": result.destination.country,
                "validity_period": result.validity_period,
                "send_at": timestamp(send_at),
                "smart_encoding": smart_encoding_resource(encoded, enabled=result.smart_encoding),
                "warnings": [_warning(w) for w in warnings],
            }
        )

    @router.post(
        "/{message_id}/cancel",
        summary="Cancel a scheduled or still-queued message",
        responses={409: {"description": "The message is past the point of canceling."}},
    )
    async def cancel(message_id: str, request: Request) -> Response:
        principal = await auth(request)
        record = await services.writer.submit(
            CancelMessage(principal.account_id, message_id, datetime.now(UTC))
        )
        return json_response(message_resource(record))

    @router.get("/{message_id}", summary="Look up a message and its status history")
    async def read(message_id: str, request: Request) -> Response:
        principal = await auth(request)
        record = await services.database.read(
            lambda c: get_message(c, principal.account_id, message_id)
        )
        return json_response(message_resource(record))

    @router.get("", summary="List messages, newest first")
    async def index(
        request: Request,
        status: Annotated[MessageStatus | None, Query()] = None,
        to: Annotated[str | None, Query()] = None,
        from_: Annotated[str | None, Query(alias="from")] = None,
        direction: Annotated[Direction | None, Query()] = None,
        created_after: Annotated[datetime | None, Query()] = None,
        created_before: Annotated[datetime | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        where = MessageFilter(
            status=status,
            to=to,
            from_=from_,
            direction=direction,
            created_after=_aware(created_after),
            created_before=_aware(created_before),
        )
        account_id: AccountId = principal.account_id
        records, next_cursor = await services.database.read(
            lambda c: list_messages(c, account_id, where, limit=limit, cursor=cursor)
        )
        return page_response("messages", [message_resource(r) for r in records], next_cursor)

    return router


def _warning(warning: ContentWarning) -> dict[str, str]:
    return {"code": warning.code, "detail": warning.detail}


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


_schema, _components = msgspec.json.schema_components(
    [SendRequest], ref_template="#/components/schemas/{name}"
)
SCHEMA_COMPONENTS: dict[str, Any] = _components
_REQUEST_BODY = {"required": True, "content": {"application/json": {"schema": _schema[0]}}}
_IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
    "description": (
        "Same key and same body: the same message, sent once. Same key, other body: 409."
    ),
}

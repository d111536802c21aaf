"""`/v1/numbers`: the numbers an account sends from and receives on.

Each has a type (inferred from the number when not given), a messages-per-second cap (the
type's default unless set), an inbound webhook URL, a default status webhook, a marketing
flag (content checks then want opt-out language) and its keyword replies.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from msgspec import UNSET, UnsetType
from sqlalchemy import Connection
from starlette.responses import Response

from smsgate.api._body import body_doc, decode_body
from smsgate.api._fastpath import json_response, page_response
from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.ids import AccountId
from smsgate.domain.keywords import Keyword
from smsgate.domain.numbers import MAX_MPS, NumberType, parse_number
from smsgate.domain.submission import MAX_BODY_CHARACTERS
from smsgate.errors import InvalidParameterError
from smsgate.store import numbers as number_store
from smsgate.store.numbers import Number
from smsgate.store.webhooks import enable_url
from smsgate.store.writer import Call
from smsgate.webhooks.urls import check_webhook_url


class KeywordReplies(msgspec.Struct, forbid_unknown_fields=True):
    """Texts sent back for STOP, START and HELP; null (or absent) means the default."""

    stop: str | UnsetType | None = UNSET
    start: str | UnsetType | None = UNSET
    help: str | UnsetType | None = UNSET


class NumberCreate(msgspec.Struct, forbid_unknown_fields=True):
    number: str
    type: NumberType | None = None
    inbound_url: str | None = None
    status_callback: str | None = None
    mps: int | None = None
    marketing: bool = False
    keyword_replies: KeywordReplies | None = None


class NumberPatch(msgspec.Struct, forbid_unknown_fields=True):
    type: NumberType | UnsetType | None = UNSET
    inbound_url: str | UnsetType | None = UNSET
    status_callback: str | UnsetType | None = UNSET
    mps: int | UnsetType | None = UNSET
    marketing: bool | UnsetType = UNSET
    keyword_replies: KeywordReplies | UnsetType = UNSET


_create_decoder = msgspec.json.Decoder(NumberCreate)
_patch_decoder = msgspec.json.Decoder(NumberPatch)


def number_resource(number: Number) -> dict[str, Any]:
    return {
        "id": number.id,
        "number": number.e164,
        "type": number.type.value,
        "mps": number.effective_mps,
        "inbound_url": number.inbound_url,
        "status_callback": number.status_callback,
        "marketing": number.marketing,
        "keyword_replies": {keyword.value: number.reply(keyword) for keyword in Keyword},
        "created_at": timestamp(number.created_at),
        "uri": f"/v1/numbers/{number.id}",
    }


def _check_mps(mps: int | None) -> None:
    if mps is not None and not 1 <= mps <= MAX_MPS:
        raise InvalidParameterError(
            f"mps is {mps}; give 1 to {MAX_MPS} messages per second, or null for the "
            "type's default.",
            field="mps",
        )


def _reply_columns(replies: KeywordReplies) -> dict[str, str | None]:
    columns: dict[str, str | None] = {}
    for keyword in Keyword:
        text = getattr(replies, keyword.value)
        if text is UNSET:
            continue
        if text is not None and not (text.strip() and len(text) <= MAX_BODY_CHARACTERS):
            raise InvalidParameterError(
                f"The {keyword.value} reply must be 1 to {MAX_BODY_CHARACTERS} characters "
                "(null for the default text).",
                field=f"keyword_replies.{keyword.value}",
            )
        columns[f"{keyword.value}_reply"] = text
    return columns


def _enable_urls(connection: Connection, account_id: str, *urls: object) -> None:
    # Setting a URL again is how its owner says it works again after a 410 Gone.
    for url in urls:
        if isinstance(url, str):
            enable_url(connection, account_id, url)


def _add_number(
    connection: Connection,
    account_id: AccountId,
    e164: str,
    inbound_url: str | None,
    settings: dict[str, Any],
) -> Number:
    """Register `e164`; `settings` are its other columns, status_callback among them."""
    _enable_urls(connection, account_id, inbound_url, settings["status_callback"])
    return number_store.add_number(
        connection, account_id, e164, inbound_url=inbound_url, **settings
    )


def _update_number(
    connection: Connection,
    account_id: AccountId,
    number_id: str,
    changes: dict[str, Any],
    number_type: NumberType | UnsetType | None,
) -> Number:
    """Apply `changes`; a `number_type` other than UNSET retypes the number (None: infer
    the type from the number itself)."""
    _enable_urls(connection, account_id, changes.get("inbound_url"), changes.get("status_callback"))
    if not isinstance(number_type, UnsetType):
        current = number_store.get_number(connection, account_id, number_id)
        changes = {**changes, "type": parse_number(current.e164, number_type).type}
    return number_store.update_number(connection, account_id, number_id, changes)


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/numbers", tags=["numbers"])
    auth = services.auth
    allow_private = services.settings.webhook.allow_private

    def check_urls(inbound_url: Any, status_callback: Any) -> None:
        for field, url in (("inbound_url", inbound_url), ("status_callback", status_callback)):
            if isinstance(url, str):
                check_webhook_url(url, allow_private=allow_private, field=field)

    @router.post(
        "",
        status_code=201,
        summary="Register a number to send from and receive on",
        openapi_extra=body_doc(NumberCreate, {"number": "+14155550100", "marketing": False}),
    )
    async def create(request: Request) -> Response:
        principal = await auth(request)
        body = decode_body(_create_decoder, await request.body(), "a number")
        parsed = parse_number(body.number, body.type)
        _check_mps(body.mps)
        check_urls(body.inbound_url, body.status_callback)
        settings: dict[str, Any] = {
            "type": parsed.type,
            "mps": body.mps,
            "status_callback": body.status_callback,
            "marketing": body.marketing,
        }
        if body.keyword_replies is not None:
            settings.update(_reply_columns(body.keyword_replies))
        number = await services.writer.submit(
            Call(_add_number, principal.account_id, parsed.value, body.inbound_url, settings)
        )
        return json_response(
            number_resource(number), 201, [(b"location", f"/v1/numbers/{number.id}".encode())]
        )

    @router.get("", summary="List the account's numbers, oldest first")
    async def index(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        found, next_cursor = await services.database.read(
            lambda c: number_store.list_numbers_page(
                c, principal.account_id, limit=limit, cursor=cursor
            )
        )
        return page_response("numbers", [number_resource(n) for n in found], next_cursor)

    @router.get("/{number_id}", summary="Look up a number")
    async def read(number_id: str, request: Request) -> Response:
        principal = await auth(request)
        number = await services.database.read(
            lambda c: number_store.get_number(c, principal.account_id, number_id)
        )
        return json_response(number_resource(number))

    @router.patch(
        "/{number_id}",
        summary="Change a number's settings (any subset; null resets to the default)",
        openapi_extra=body_doc(NumberPatch, {"mps": 3, "keyword_replies": {"help": "Call us"}}),
    )
    async def patch(number_id: str, request: Request) -> Response:
        principal = await auth(request)
        body = decode_body(_patch_decoder, await request.body(), "a number")
        if isinstance(body.mps, int):
            _check_mps(body.mps)
        check_urls(body.inbound_url, body.status_callback)
        changes: dict[str, Any] = {
            name: getattr(body, name)
            for name in ("inbound_url", "status_callback", "mps", "marketing")
            if getattr(body, name) is not UNSET
        }
        if not isinstance(body.keyword_replies, UnsetType):
            changes.update(_reply_columns(body.keyword_replies))
        number = await services.writer.submit(
            Call(_update_number, principal.account_id, number_id, changes, body.type)
        )
        return json_response(number_resource(number))

    @router.delete("/{number_id}", status_code=204, summary="Release a number")
    async def delete(number_id: str, request: Request) -> Response:
        principal = await auth(request)
        await services.writer.submit(
            Call(number_store.remove_number, principal.account_id, number_id)
        )
        return Response(status_code=204)

    return router

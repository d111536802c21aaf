"""`/v1/whoami` and `/v1/account`: who is calling, the account's webhook settings and balance.

`GET /v1/whoami` is cheap and authenticated: it is also the ceiling `make bench` measures
the send path against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import Response

from smsgate.api._fastpath import JSONBytesResponse, fast, json_response
from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.pricing import format_micros
from smsgate.errors import ValidationError
from smsgate.store import accounts as account_store
from smsgate.store.balances import get_balance
from smsgate.store.signing_secrets import signing_secrets
from smsgate.store.webhooks import enable_url
from smsgate.store.writer import Call
from smsgate.webhooks.urls import check_webhook_url


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    status_callback: str | None


_patch_decoder = msgspec.json.Decoder(AccountPatch)


def _read_account(
    connection: Connection, account_id: str, now: datetime, currency: str
) -> dict[str, Any]:
    account = account_store.get_account(connection, account_id)
    secrets = signing_secrets(connection, account_id, now)
    balance = get_balance(connection, account_id)
    return {
        "id": account.id,
        "name": account.name,
        "created_at": timestamp(account.created_at),
        "status_callback": account_store.status_callback(connection, account_id),
        "webhook_secret": secrets[0],
        "webhook_secrets_in_use": len(secrets),
        # null: unlimited; otherwise what is left to spend, in `currency`.
        "balance": None if balance is None else format_micros(balance),
        "currency": currency,
    }


def _set_status_callback(connection: Connection, account_id: str, url: str | None) -> None:
    account_store.set_status_callback(connection, account_id, url)
    if url is not None:
        enable_url(connection, account_id, url)


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["account"])
    auth = services.auth
    allow_private = services.settings.webhook.allow_private
    currency = services.prices.currency

    @router.get("/whoami", summary="The account and key behind these credentials")
    @fast
    async def whoami(request: Request) -> Response:
        principal = await auth(request)
        body = (
            f'{{"account_id":"{principal.account_id}","key_id":"{principal.key_id}",'
            f'"mode":"{"test" if principal.is_test else "live"}"}}'
        )
        return JSONBytesResponse(body.encode())

    async def account_resource(account_id: str) -> dict[str, Any]:
        # Through the writer: the first read makes the account's signing secret.
        return await services.writer.submit(
            Call(_read_account, account_id, datetime.now(UTC), currency)
        )

    @router.get("/account", summary="The account, its default status webhook and its secret")
    async def read_account(request: Request) -> Response:
        principal = await auth(request)
        return json_response(await account_resource(principal.account_id))

    @router.patch(
        "/account",
        summary="Set the default status webhook (null removes it)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": msgspec.json.schema(AccountPatch),
                        "example": {"status_callback": "https://example.com/smsgate/status"},
                    }
                },
            }
        },
    )
    async def patch_account(request: Request) -> Response:
        principal = await auth(request)
        try:
            patch = _patch_decoder.decode(await request.body())
        except msgspec.DecodeError as exc:
            raise ValidationError(f"The request body is not valid: {exc}.") from None
        url = patch.status_callback
        if url is not None:
            check_webhook_url(url, allow_private=allow_private, field="status_callback")
        await services.writer.submit(Call(_set_status_callback, principal.account_id, url))
        return json_response(await account_resource(principal.account_id))

    return router

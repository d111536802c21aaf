"""Operators only: connectors and routes are shared by every account, so only an operator
account (`smsgate accounts create NAME --operator`) may see or change them."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request

from smsgate.api.auth import Authenticator, Principal
from smsgate.errors import ForbiddenError, ValidationError
from smsgate.store import accounts as account_store
from smsgate.store.database import Database


async def require_operator(auth: Authenticator, database: Database, request: Request) -> Principal:
    principal = await auth(request)
    is_operator = await database.read(lambda c: account_store.is_operator(c, principal.account_id))
    if not is_operator:
        raise ForbiddenError(
            "Connectors and routes are managed by operators; this key's account is not one "
            "(make one with 'smsgate accounts create NAME --operator')."
        )
    return principal


async def json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ValidationError("Send the body as JSON, with Content-Type: application/json.")
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    return body

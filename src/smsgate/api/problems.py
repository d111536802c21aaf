"""The one place HTTP errors become answers: RFC 9457 problem+json with our code.

Every body has `type`, `title`, `status`, `detail`, `code` and, when one input is at
fault, `field`. The handler for an exception is found by walking its MRO, so a new
subclass of a known error needs no new handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from smsgate.errors import (
    AuthError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InsufficientBalanceError,
    LimitError,
    NotFoundError,
    SmsgateError,
    StoreError,
    ValidationError,
)

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
_encoder = msgspec.json.Encoder()

_STATUS = {
    ValidationError: 400,
    AuthError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InsufficientBalanceError: 402,
    LimitError: 429,
    StoreError: 503,
}
_TITLE = {
    AuthError: "Authentication required",
    ForbiddenError: "Operators only",
    NotFoundError: "Not found",
    ConflictError: "Conflict",
    StoreError: "The database is unavailable",
}
_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.CONFLICT,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.TOO_MANY_REQUESTS,
}

WWW_AUTHENTICATE = 'Basic realm="smsgate", Bearer realm="smsgate"'


class AuthFailed(AuthError):
    """401 that also says which scheme failed (RFC 6750 §3 for Bearer)."""

    def __init__(self, detail: str, *, bearer_error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.bearer_error = bearer_error


def problem(
    status: int,
    code: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://smsgate.dev/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    if extra:
        body.update(extra)
    return Response(_encoder.encode(body), status, headers=headers, media_type=PROBLEM_JSON)


def problem_for(error: SmsgateError) -> Response:
    status = next((_STATUS[c] for c in type(error).__mro__ if c in _STATUS), 500)
    title = getattr(error, "title", None) or next(
        (_TITLE[c] for c in type(error).__mro__ if c in _TITLE), "Error"
    )
    headers: dict[str, str] | None = None
    if isinstance(error, LimitError):
        headers = error.headers
    elif isinstance(error, AuthError):
        challenge = WWW_AUTHENTICATE
        bearer_error = getattr(error, "bearer_error", None)
        if bearer_error:
            challenge = f'Basic realm="smsgate", Bearer realm="smsgate", error="{bearer_error}"'
        headers = {"WWW-Authenticate": challenge}
    if status >= 500:
        log.error("request failed: %s", error, exc_info=error)
    return problem(
        status,
        int(error.code),
        title,
        str(getattr(error, "detail", None) or error),
        field=getattr(error, "field", None),
        headers=headers,
    )


async def _on_smsgate_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SmsgateError)
    return problem_for(exc)


async def _on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    detail = exc.detail if isinstance(exc.detail, str) else "The request was refused."
    if exc.status_code == 404:
        detail = "There is nothing at this path. See /docs for the API's endpoints."
    elif exc.status_code == 405:
        detail = "This path does not take that method. See /docs for what it takes."
    return problem(
        exc.status_code, code, detail.split(".")[0] or "Error", detail, headers=exc.headers
    )


async def _on_request_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location) or None
    detail = f"{field}: {first.get('msg')}." if field else f"{first.get('msg')}."
    return problem(400, ErrorCode.BAD_REQUEST, "Invalid request", detail, field=field)


async def _on_unexpected(_request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return problem(
        500,
        ErrorCode.INTERNAL,
        "Internal error",
        "The gateway failed to handle this request; it has been logged. Try again.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SmsgateError, _on_smsgate_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(Exception, _on_unexpected)

"""`POST /v1/oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4) for Bearer tokens.

The client authenticates with its API key, by HTTP Basic (preferred, §2.3.1) or by
`client_id`/`client_secret` in the form. Errors are problem+json that also carry the
`error` member OAuth clients look for (§5.2).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from smsgate.api.auth import parse_basic
from smsgate.api.problems import AuthFailed, problem
from smsgate.api.services import ApiServices
from smsgate.errors import ErrorCode
from smsgate.store import accounts as account_store
from smsgate.store.writer import Call


def _oauth_error(status: int, error: str, detail: str) -> Response:
    unauthorized = status == 401
    return problem(
        status,
        ErrorCode.UNAUTHORIZED if unauthorized else ErrorCode.BAD_REQUEST,
        "Token request refused",
        detail,
        headers={"WWW-Authenticate": 'Basic realm="smsgate"'} if unauthorized else None,
        extra={"error": error, "error_description": detail},
    )


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/oauth", tags=["auth"])
    settings = services.settings

    @router.post(
        "/token",
        summary="Exchange an API key for a short-lived Bearer access token",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
    )
    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if raw and content_type != "application/x-www-form-urlencoded":
            return problem(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "Send the token request as application/x-www-form-urlencoded (RFC 6749 §4.4.2).",
            )
        try:
            form = parse_qs(raw.decode(), strict_parsing=False)
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "The form is not valid UTF-8.")
        grant = form.get("grant_type", [""])[0]
        if not grant:
            return _oauth_error(
                400, "invalid_request", "grant_type is missing; send grant_type=client_credentials."
            )
        if grant != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                f"grant_type is {grant!r}; this server issues tokens for 'client_credentials'.",
            )
        header = request.headers.get("authorization", "")
        try:
            if header.lower().startswith("basic "):
                key_id, secret = parse_basic(header)
            elif form.get("client_id") and form.get("client_secret"):
                key_id, secret = form["client_id"][0], form["client_secret"][0]
            else:
                return _oauth_error(
                    401,
                    "invalid_client",
                    "Authenticate with your API key: HTTP Basic with key id and secret.",
                )
            key = await services.auth.verify_key(key_id, secret)
        except AuthFailed as exc:
            return _oauth_error(401, "invalid_client", exc.detail)
        access_token, _expires_at = await services.writer.submit(
            Call(
                account_store.issue_token,
                key,
                ttl_seconds=settings.auth.token_ttl,
                pepper=settings.auth.pepper.get_secret_value(),
            )
        )
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": settings.auth.token_ttl,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    return router

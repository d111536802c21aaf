"""`GET /v1/whoami`: which account and key a credential belongs to.

Cheap and authenticated, it is also the ceiling `make bench` measures the send path against.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from smsgate.api._fastpath import JSONBytesResponse, fast
from smsgate.api.services import ApiServices


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["account"])
    auth = services.auth

    @router.get("/whoami", summary="The account and key behind these credentials")
    @fast
    async def whoami(request: Request) -> Response:
        principal = await auth(request)
        body = (
            f'{{"account_id":"{principal.account_id}","key_id":"{principal.key_id}",'
            f'"mode":"{"test" if principal.is_test else "live"}"}}'
        )
        return JSONBytesResponse(body.encode())

    return router

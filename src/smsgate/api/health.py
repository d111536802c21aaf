"""`GET /healthz`: is the process up and does the database answer."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.responses import JSONResponse

from smsgate.api.services import ApiServices


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness and database check")
    async def healthz() -> JSONResponse:
        await services.database.read(lambda c: c.execute(text("SELECT 1")).scalar_one())
        return JSONResponse({"status": "ok"})

    return router

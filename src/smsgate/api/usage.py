"""`GET /v1/usage`: messages, segments and spend by UTC day and destination country."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from smsgate.api._fastpath import json_response
from smsgate.api.services import ApiServices
from smsgate.domain.pricing import format_micros
from smsgate.errors import InvalidParameterError
from smsgate.store.usage import usage

MAX_DAYS = 366


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["usage"])
    auth = services.auth
    currency = services.prices.currency

    @router.get(
        "/usage",
        summary="What the account sent and spent, by day and country",
        description=(
            "Outbound messages created from `start` to `end` (whole UTC days, both included; "
            "default: this month so far). `price` is what they cost after refunds: messages "
            "that failed before a carrier took them, or were canceled, cost nothing."
        ),
    )
    async def read_usage(
        request: Request,
        start: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
        end: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
    ) -> Response:
        principal = await auth(request)
        today = datetime.now(UTC).date()
        end = end or today
        start = start or end.replace(day=1)
        if start > end:
            raise InvalidParameterError(
                f"start ({start}) is after end ({end}); give start on or before end.",
                field="start",
            )
        if end - start >= timedelta(days=MAX_DAYS):
            raise InvalidParameterError(
                f"{start} to {end} is more than {MAX_DAYS} days; ask for a shorter period.",
                field="end",
            )
        rows = await services.database.read(lambda c: usage(c, principal.account_id, start, end))
        return json_response(
            {
                "usage": [
                    {
                        "day": row.day,
                        "country": row.country,
                        "messages": row.messages,
                        "segments": row.segments,
                        "price": format_micros(row.charge_micros),
                        "currency": currency,
                    }
                    for row in rows
                ]
            }
        )

    return router

"""`/v1/webhook-deliveries`: every webhook event, its attempts, and redelivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from smsgate.api._fastpath import json_response, page_response
from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.errors import NotFoundError
from smsgate.store.cursors import decode_cursor, encode_cursor
from smsgate.store.webhooks import Redeliver, WebhookDelivery, list_deliveries

State = Literal["pending", "delivering", "delivered", "failed", "disabled"]


def delivery_resource(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "message_id": delivery.message_id,
        "type": delivery.event_type,
        "event": delivery.event,
        "url": delivery.url,
        "status": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": timestamp(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": timestamp(delivery.created_at),
        "updated_at": timestamp(delivery.updated_at),
        "log": [
            {
                "attempt": a.attempt,
                "at": timestamp(a.at),
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "response_excerpt": a.response_excerpt,
                "error": a.error,
            }
            for a in delivery.log
        ],
    }


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/webhook-deliveries", tags=["webhooks"])
    auth = services.auth

    @router.get("", summary="Webhook deliveries, newest first, with every attempt")
    async def index(
        request: Request,
        message_id: Annotated[str | None, Query()] = None,
        status: Annotated[State | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        before = decode_cursor(cursor) if cursor else None
        found, more = await services.database.read(
            lambda c: list_deliveries(
                c,
                principal.account_id,
                message_id=message_id,
                state=status,
                limit=limit,
                before_seq=before,
            )
        )
        next_cursor = encode_cursor(more) if more is not None else None
        return page_response("deliveries", [delivery_resource(d) for d in found], next_cursor)

    @router.post(
        "/{delivery_id}/redeliver",
        status_code=202,
        summary="Send an event again (also re-enables an endpoint that answered 410)",
    )
    async def redeliver(delivery_id: str, request: Request) -> Response:
        principal = await auth(request)
        created = await services.writer.submit(
            Redeliver(principal.account_id, delivery_id, datetime.now(UTC))
        )
        if created is None:
            raise NotFoundError(f"No webhook delivery with id '{delivery_id}' in this account.")
        return json_response(delivery_resource(created), 202)

    return router

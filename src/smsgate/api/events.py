"""`GET /v1/events`: the account's status changes as Server-Sent Events.

This is what `smsgate listen` reads, so webhooks can be developed against a local server
without a public URL. Each event's `id` is its place in the audit trail: reconnect with
`Last-Event-ID` (or `?after=`) to continue where you stopped; without either, the stream
starts now. The first `queued` of a message has no event, as it has no webhook.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.status import Direction, MessageStatus
from smsgate.errors import InvalidParameterError
from smsgate.store.events import AccountEvent, events_since, latest_event_seq
from smsgate.webhooks.events import MESSAGE_RECEIVED, MESSAGE_STATUS, event_body

# How often the stream looks for new events, and sends a keep-alive comment when idle.
POLL_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0


def sse(event: AccountEvent) -> str | None:
    message = event.message
    if event.status == MessageStatus.QUEUED and event.attempt == 0:
        return None  # the API's answer already said it was queued
    kind = MESSAGE_RECEIVED if message.direction == Direction.INBOUND else MESSAGE_STATUS
    body = event_body(
        kind,
        {
            "status": event.status,
            "at": timestamp(event.at),
            "error_code": event.error_code,
            "detail": event.detail,
        },
        message,
    )
    return f"id: {event.seq}\nevent: {kind}\ndata: {body}\n\n"


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["webhooks"])
    auth = services.auth

    @router.get(
        "/events",
        summary="Your account's status changes, as Server-Sent Events",
        response_class=StreamingResponse,
    )
    async def events(
        request: Request, after: Annotated[int | None, Query(ge=0)] = None
    ) -> StreamingResponse:
        principal = await auth(request)
        last_event_id = request.headers.get("last-event-id")
        if last_event_id is not None:
            if not last_event_id.isdigit():
                raise InvalidParameterError(
                    "Last-Event-ID must be the id of an event this stream sent.",
                    field="Last-Event-ID",
                )
            after = int(last_event_id)
        if after is None:
            after = await services.database.read(latest_event_seq)

        async def stream() -> AsyncIterator[str]:
            seen = after
            idle = 0.0
            yield ": smsgate event stream\n\n"
            while not await request.is_disconnected():
                found = await services.database.read(
                    functools.partial(events_since, account_id=principal.account_id, after_seq=seen)
                )
                for event in found:
                    seen = event.seq
                    text = sse(event)
                    if text is not None:
                        yield text
                if found:
                    idle = 0.0
                    continue
                await asyncio.sleep(POLL_SECONDS)
                idle += POLL_SECONDS
                if idle >= KEEPALIVE_SECONDS:
                    idle = 0.0
                    yield ": keep-alive\n\n"

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router

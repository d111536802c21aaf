"""`/v1/conversations/{our_number}/{their_number}`: a thread with one handset, in time order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from smsgate.api._fastpath import page_response
from smsgate.api.resources import message_resource
from smsgate.api.services import ApiServices
from smsgate.errors import NotFoundError
from smsgate.store import numbers as number_store
from smsgate.store.messages import MessageRecord, list_conversation


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/conversations", tags=["messages"])
    auth = services.auth

    @router.get(
        "/{our_number}/{their_number}",
        summary="The messages between one of your numbers and a handset, oldest first",
    )
    async def conversation(
        our_number: str,
        their_number: str,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query()] = None,
    ) -> Response:
        principal = await auth(request)
        account_id = principal.account_id

        def read(connection: Connection) -> tuple[list[MessageRecord], str | None]:
            if not number_store.owns_number(connection, account_id, our_number):
                raise NotFoundError(
                    f"{our_number} is not a number of this account (GET /v1/numbers lists them)."
                )
            return list_conversation(
                connection, account_id, our_number, their_number, limit=limit, cursor=cursor
            )

        records, next_cursor = await services.database.read(read)
        return page_response("messages", [message_resource(r) for r in records], next_cursor)

    return router

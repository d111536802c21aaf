"""`/v1/connectors`: the carrier links (operators only), with this node's live state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from smsgate.api._fastpath import json_response, page_response
from smsgate.api._operator import json_object, require_operator
from smsgate.api.services import ApiServices
from smsgate.delivery.switchboard import describe, idle_state
from smsgate.domain.connectors import connector_from_mapping
from smsgate.errors import NotFoundError
from smsgate.store import connectors as connector_store
from smsgate.store.writer import Call

EXAMPLE = {
    "name": "carrier-a",
    "kind": "smpp",
    "host": "smpp.carrier-a.example",
    "port": 2775,
    "system_id": "acme",
    "password": "s3cret",
    "bind_mode": "transceiver",
    "window": 64,
    "tps": 50,
}


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/connectors", tags=["connectors"])
    database, switchboard = services.database, services.switchboard

    async def operator(request: Request) -> None:
        await require_operator(services.auth, database, request)

    def states() -> list[dict[str, Any]]:
        return switchboard.states() if switchboard is not None else []

    async def resource(name: str) -> dict[str, Any]:
        if switchboard is not None:
            await switchboard.load()
        for found in states():
            if found["name"] == name:
                return found
        spec = await database.read(lambda c: connector_store.get_connector(c, name))
        return {**describe(spec), "state": idle_state()}

    @router.get("", summary="Every connector and its live state on this node (operators)")
    async def list_connectors(request: Request) -> Response:
        await operator(request)
        if switchboard is not None:
            await switchboard.load()
            found = states()
        else:
            specs = await database.read(connector_store.list_connectors)
            found = [{**describe(spec), "state": idle_state()} for spec in specs]
        return page_response("connectors", found, None)

    @router.post(
        "",
        summary="Add a connector (operators); the password is never shown back",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"example": EXAMPLE}},
            }
        },
    )
    async def add_connector(request: Request) -> Response:
        await operator(request)
        spec = connector_from_mapping(await json_object(request))
        await services.writer.submit(Call(connector_store.add_connector, spec))
        if switchboard is not None:
            switchboard.wake()
        return json_response({**describe(spec), "state": idle_state()}, 201)

    @router.get("/{name}", summary="One connector and its live state (operators)")
    async def read_connector(request: Request, name: str) -> Response:
        await operator(request)
        return json_response(await resource(name))

    @router.delete(
        "/{name}", summary="Remove a connector no route uses (operators)", status_code=204
    )
    async def remove_connector(request: Request, name: str) -> Response:
        await operator(request)
        if name in ("simulator", "carrier"):
            raise NotFoundError(
                f"'{name}' is a built-in connector; it cannot be removed (see the settings)."
            )
        await services.writer.submit(Call(connector_store.remove_connector, name))
        if switchboard is not None:
            switchboard.wake()
        return Response(status_code=204)

    return router

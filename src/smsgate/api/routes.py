"""`/v1/routes`: which connectors messages leave through (operators only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from smsgate.api._fastpath import json_response, page_response
from smsgate.api._operator import json_object, require_operator
from smsgate.api.services import ApiServices
from smsgate.domain.routing import RouteRule, route_from_mapping
from smsgate.errors import NotFoundError
from smsgate.store import routes as route_store
from smsgate.store.writer import Call

EXAMPLE = {
    "name": "us-carriers",
    "priority": 10,
    "mode": "live",
    "country": "US",
    "connectors": ["carrier-a", "carrier-b"],
}


def route_resource(rule: RouteRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "priority": rule.priority,
        "mode": rule.mode,
        "prefix": rule.prefix,
        "country": rule.country,
        "account_id": rule.account_id,
        "sender_type": rule.sender_type,
        "connectors": list(rule.connectors),
    }


def build_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/v1/routes", tags=["routes"])
    database, switchboard = services.database, services.switchboard

    async def operator(request: Request) -> None:
        await require_operator(services.auth, database, request)

    @router.get("", summary="Every route, in the order they are tried (operators)")
    async def list_routes(request: Request) -> Response:
        await operator(request)
        rules = await database.read(route_store.list_routes)
        return page_response("routes", [route_resource(r) for r in rules], None)

    @router.post(
        "",
        summary="Add a route (operators)",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"example": EXAMPLE}},
            }
        },
    )
    async def add_route(request: Request) -> Response:
        await operator(request)
        rule = route_from_mapping(await json_object(request))
        await services.writer.submit(Call(route_store.add_route, rule))
        if switchboard is not None:
            switchboard.wake()
        return json_response(route_resource(rule), 201)

    @router.get("/{name}", summary="One route (operators)")
    async def read_route(request: Request, name: str) -> Response:
        await operator(request)
        rule = await database.read(lambda c: route_store.find_route(c, name))
        if rule is None:
            raise NotFoundError(f"No route is named '{name}'.")
        return json_response(route_resource(rule))

    @router.delete("/{name}", summary="Remove a route (operators)", status_code=204)
    async def remove_route(request: Request, name: str) -> Response:
        await operator(request)
        await services.writer.submit(Call(route_store.remove_route, name))
        if switchboard is not None:
            switchboard.wake()
        return Response(status_code=204)

    return router

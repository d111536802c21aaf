"""The HTTP API: v1 JSON, OAuth tokens, problem+json errors, OpenAPI at /openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp

from smsgate.api import (
    account,
    connectors,
    conversations,
    events,
    health,
    messages,
    numbers,
    oauth,
    opt_outs,
    routes,
    simulator,
    usage,
    webhook_deliveries,
)
from smsgate.api._fastpath import Endpoint, FastPath, fast_routes
from smsgate.api.auth import Authenticator, Principal
from smsgate.api.problems import install_problem_handlers
from smsgate.api.services import ApiServices

__all__ = ["ApiServices", "Authenticator", "Principal", "create_api"]

DESCRIPTION = """\
Send text messages to any E.164 number and follow each one to its final status.

Authenticate with an API key: HTTP Basic with the key id (`SK…`) as user and the secret as
password, or a Bearer token from `POST /v1/oauth/token`. Errors are RFC 9457
`application/problem+json` with a numeric `code`, a `detail` sentence and the `field` at fault.
"""


def create_api(services: ApiServices, **fastapi_options: Any) -> ASGIApp:
    """The ASGI app: FastAPI for every route, with the bulk endpoints served by FastPath."""
    app = FastAPI(
        title="smsgate",
        version="0.1.0",
        description=DESCRIPTION,
        **fastapi_options,
    )
    install_problem_handlers(app)
    fast: dict[tuple[str, str], Endpoint] = {}
    for module in (
        health,
        oauth,
        account,
        messages,
        conversations,
        numbers,
        opt_outs,
        usage,
        webhook_deliveries,
        events,
        connectors,
        routes,
    ):
        router = module.build_router(services)
        fast.update(fast_routes(router.routes))
        app.include_router(router)
    if services.simulator is not None:
        app.include_router(simulator.build_router(services, services.simulator))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {}).update(messages.SCHEMA_COMPONENTS)
            components["securitySchemes"] = {
                "apiKey": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            }
            schema["security"] = [{"apiKey": []}, {"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return FastPath(app, fast)

"""Serve the hottest endpoints straight from ASGI, ahead of FastAPI's router.

FastAPI's routing, dependency solving and middleware stack cost more per request than the
whole send path does (profiled: ~60 % of a request's time on this machine), so the few
endpoints that take bulk traffic are looked up here by (method, path) in a dict and called
directly with a Starlette `Request`. They are still declared as FastAPI routes, so
`/openapi.json` and `/docs` describe them; only the dispatch differs. Errors become the
same problem+json answers as everywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import msgspec
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.api.problems import problem, problem_for
from smsgate.errors import ErrorCode, SmsgateError

log = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]
_MARK = "__smsgate_fast_path__"


def fast(endpoint: Endpoint) -> Endpoint:
    """Mark a route's endpoint (which must take only the Request) for the fast path."""
    setattr(endpoint, _MARK, True)
    return endpoint


def fast_routes(routes: Iterable[object]) -> dict[tuple[str, str], Endpoint]:
    """(method, path) → endpoint for every marked FastAPI route."""
    table: dict[tuple[str, str], Endpoint] = {}
    for route in routes:
        if isinstance(route, APIRoute) and getattr(route.endpoint, _MARK, False):
            for method in route.methods or ():
                table[method, route.path] = route.endpoint
    return table


class FastRequest(Request):
    """A Request whose body is read straight off `receive`, without the stream machinery."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            chunks: list[bytes] = []
            more = True
            while more:
                message: Message = await self._receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            self._body = b"".join(chunks)
        return self._body


class JSONBytesResponse(Response):
    """A JSON body already encoded, with its headers built once, as raw pairs."""

    media_type = "application/json"

    def __init__(
        self,
        content: bytes,
        status_code: int = 200,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        self.raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            *headers,
        ]


_encoder = msgspec.json.Encoder()


def json_response(
    content: Any,
    status_code: int = 200,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> JSONBytesResponse:
    """`content` encoded with msgspec as the body of a JSON response."""
    return JSONBytesResponse(_encoder.encode(content), status_code, headers)


def page_response(name: str, items: list[Any], next_cursor: str | None) -> JSONBytesResponse:
    """One page of a list: `{name: items, "next_cursor", "has_more"}`, as every list has."""
    return json_response(
        {name: items, "next_cursor": next_cursor, "has_more": next_cursor is not None}
    )


class FastPath:
    def __init__(self, app: ASGIApp, routes: dict[tuple[str, str], Endpoint]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
            if endpoint is not None:
                response = await self._call(endpoint, FastRequest(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _call(endpoint: Endpoint, request: Request) -> Response:
        try:
            return await endpoint(request)
        except SmsgateError as error:
            return problem_for(error)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            return problem(
                500,
                ErrorCode.INTERNAL,
                "Internal error",
                "The gateway failed to handle this request; it has been logged. Try again.",
            )

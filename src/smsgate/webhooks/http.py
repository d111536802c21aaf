"""A lean HTTP/1.1 client for webhook POSTs.

Keep-alive connections per endpoint, each request written in one piece, and answers
parsed by httptools (llhttp, the C parser uvicorn serves requests with). It does what the
sender needs and nothing else: POST a body, read the status, the headers and at most
`read_at_most` bytes of the body. Redirects are answers like any other (a 3xx is not
followed); no cookies, no proxies, no compression. HTTP, and HTTPS with certificates
verified against the system's roots.

Why not aiohttp or httpx: with three webhooks per message, the sender is the gateway's
busiest part. Measured on this machine against the same loopback receiver (one core, 64
requests at a time), aiohttp's ClientSession cost 117 µs of CPU a request, this client 18
µs; httpx's AsyncClient was slower than aiohttp (encode/httpx#3215).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, unquote, urlsplit

import httptools

# Characters a request target keeps as they are; everything else is percent-encoded.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"
_MAX_HEADERS = 100
_BREAKS_LINES = frozenset("\r\n\0")
_NOT_IN_HOST = frozenset(" \t\r\n\0/\\?#@")
# URLs whose request line and Host header are kept, ready to use (an account has one or
# two webhook URLs; a bound keeps a flood of distinct ones from growing the cache forever).
_URLS_KEPT = 1024


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    body: bytes
    """At most `read_at_most` bytes: the rest is not read, and its connection is dropped."""
    charset: str | None


class HttpError(Exception):
    """No answer: the URL could not be used, no connection, or it broke mid-answer."""


@dataclass(frozen=True, slots=True)
class _Endpoint:
    https: bool
    host: str
    port: int


class HttpClient:
    """POSTs over pooled keep-alive connections: at most `limit` at once, and at most
    `limit_per_host` to one endpoint, so one slow receiver cannot hold them all."""

    def __init__(
        self,
        *,
        limit: int,
        limit_per_host: int,
        read_at_most: int,
        headers: Mapping[str, str],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._all = asyncio.Semaphore(limit)
        self._limit_per_host = limit_per_host
        self._read_at_most = read_at_most
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._ssl = ssl_context  # made when first needed: loading the roots takes a while
        self._idle: dict[_Endpoint, list[_Connection]] = {}
        self._per_host: dict[_Endpoint, asyncio.Semaphore] = {}
        self._targets: dict[str, tuple[_Endpoint, str]] = {}

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        addresses: Sequence[str] | None = None,
    ) -> Answer:
        """POST `body` to `url`. Raises HttpError when there is no answer; cancel it (a
        timeout) and its connection is closed.

        With `addresses`, a new connection goes to the first of them that answers, not to
        whatever the URL's host resolves to now; the host still names the server (the Host
        header, and the name the certificate must carry).
        """
        endpoint, request_head = self._request_head(url, len(body), headers)
        request = request_head + body
        per_host = self._per_host.setdefault(endpoint, asyncio.Semaphore(self._limit_per_host))
        async with per_host, self._all:  # a host's own queue first: no global slot held
            connection = self._take_idle(endpoint)
            if connection is not None:
                try:
                    return await self._exchange(endpoint, connection, request)
                except _StaleConnection:
                    pass  # the receiver closed it while it was idle: once more on a new one
            targets = [endpoint.host] if addresses is None else addresses
            connection = await self._connect(endpoint, targets)
            return await self._exchange(endpoint, connection, request)

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def _exchange(
        self, endpoint: _Endpoint, connection: _Connection, request: bytes
    ) -> Answer:
        answer: Answer | None = None
        try:
            answer = await connection.exchange(request)
            return answer
        finally:
            if answer is not None and connection.reusable:
                self._idle.setdefault(endpoint, []).append(connection)
            else:
                connection.close()

    def _take_idle(self, endpoint: _Endpoint) -> _Connection | None:
        idle = self._idle.get(endpoint)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
            connection.close()
        return None

    async def _connect(self, endpoint: _Endpoint, addresses: Sequence[str]) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if endpoint.https:
            context = self._ssl = self._ssl or ssl.create_default_context()
        failure: OSError | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    lambda: _Connection(self._read_at_most),
                    address,
                    endpoint.port,
                    ssl=context,
                    server_hostname=endpoint.host if context else None,
                )
            except OSError as exc:  # refused, unreachable, no such name, a bad certificate
                failure = exc
                continue
            return connection
        if failure is None:
            raise HttpError("No address to connect to.")
        raise HttpError(f"{type(failure).__name__}: {failure}") from failure

    def _request_head(
        self, url: str, length: int, headers: Mapping[str, str]
    ) -> tuple[_Endpoint, bytes]:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= _URLS_KEPT:
                self._targets.clear()
            target = self._targets[url] = self._target(url)
        endpoint, first_lines = target
        lines = [first_lines]
        for name, value in headers.items():
            if _BREAKS_LINES.intersection(name + value):
                raise HttpError(f"The header {name!r} cannot be sent as it is.")
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {length}\r\n\r\n")
        head = "".join(lines)
        if not head.isascii():
            raise HttpError(f"The URL's credentials or a header are not ASCII: {url!r}.")
        return endpoint, head.encode("ascii")

    def _target(self, url: str) -> tuple[_Endpoint, str]:
        """Where `url` points, and the request's lines that follow from it alone."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"Not an http(s) URL: {url!r}.")
        https = parts.scheme == "https"
        try:
            port = parts.port or (443 if https else 80)
        except ValueError as exc:
            raise HttpError(f"The URL's port is not valid: {url!r}.") from exc
        host = parts.hostname
        try:
            host = host if host.isascii() else host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise HttpError(f"The URL's host is not a valid name: {url!r}.") from exc
        if any(c in host for c in _NOT_IN_HOST):
            raise HttpError(f"The URL's host is not valid: {url!r}.")
        authority = f"[{host}]" if ":" in host else host
        if parts.port:
            authority += f":{port}"
        target = quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_TARGET_SAFE)
        lines = [f"POST {target} HTTP/1.1\r\nHost: {authority}\r\n", self._fixed]
        if parts.username is not None:
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            lines.append(f"Authorization: Basic {base64.b64encode(userinfo).decode()}\r\n")
        return _Endpoint(https, host, port), "".join(lines)


class _StaleConnection(HttpError):
    """A kept-alive connection ended before any of the answer came: safe to retry."""


class _Connection(asyncio.Protocol):
    """One connection: one exchange at a time, answers parsed as they arrive."""

    def __init__(self, read_at_most: int) -> None:
        self._read_at_most = read_at_most
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Answer] | None = None
        self._exchanges = 0
        self._begin()
        self.reusable = False

    def _begin(self) -> None:
        self._received = False
        self._headers: dict[str, str] = {}
        self._header_count = 0
        self._body: list[bytes] = []
        self._length = 0
        self._status = 0

    async def exchange(self, request: bytes) -> Answer:
        assert self._transport is not None, "not connected"
        assert self._waiter is None, "one exchange at a time"
        self._exchanges += 1
        self.reusable = False
        self._begin()
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.reusable = True

    def data_received(self, data: bytes) -> None:
        self._received = True
        if self._waiter is None or self._waiter.done():
            self.close()  # nothing was asked: a receiver that talks out of turn is dropped
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"The answer was not valid HTTP: {exc}."))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._status:
            # The status came and the rest ended with the connection (an answer that
            # runs to the close, or one cut short): what came is the answer.
            waiter.set_result(self._answer())
        elif not self._received and self._exchanges > 1:
            waiter.set_exception(_StaleConnection("The kept-alive connection was closed."))
        else:
            reason = f": {exc}" if exc else ""
            waiter.set_exception(HttpError(f"The connection closed before an answer{reason}."))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > _MAX_HEADERS:
            self._fail(HttpError(f"The answer had more than {_MAX_HEADERS} headers."))
            return
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            return
        self._body.append(body)
        self._length += len(body)
        if self._length >= self._read_at_most:
            # Enough to log: the rest is not read, and the connection goes with it.
            self._waiter.set_result(self._answer())
            self.close()

    def on_message_complete(self) -> None:
        if self._status < 200:  # an interim answer (100 Continue): the real one follows
            self._begin()
            return
        if self._waiter is not None and not self._waiter.done():
            self.reusable = self._parser.should_keep_alive()
            self._waiter.set_result(self._answer())

    def _answer(self) -> Answer:
        content_type = self._headers.get("content-type", "")
        charset = None
        for parameter in content_type.split(";")[1:]:
            key, _, value = parameter.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        body = b"".join(self._body)[: self._read_at_most]
        return Answer(self._status, self._headers, body, charset)

    def _fail(self, error: HttpError) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        self.close()

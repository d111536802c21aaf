"""The webhook sender's HTTP client, against real servers on loopback."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
import trustme

from smsgate.webhooks.http import HttpClient, HttpError
from smsgate.webhooks.urls import Refused, public_addresses

Answerer = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


@dataclass
class Request:
    head: bytes
    body: bytes
    reader: asyncio.StreamReader | None = None

    def header(self, name: str) -> str | None:
        for line in self.head.decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass
class Server:
    url: str
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@asynccontextmanager
async def server(
    answer: Answerer | None = None, *, context: ssl.SSLContext | None = None
) -> AsyncIterator[Server]:
    """An HTTP/1.1 server that records each request and answers with `answer` (204)."""
    scheme = "https" if context else "http"
    state = Server("")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        state.open_now += 1
        state.most_open = max(state.most_open, state.open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(Request(head, b"").header("content-length") or 0)
                request = Request(head, await reader.readexactly(length), reader)
                state.requests.append(request)
                state.arrived.set()
                if answer is None:
                    writer.write(NO_CONTENT)
                else:
                    await answer(request, writer)
                if writer.is_closing():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            state.open_now -= 1
            state.closed.set()
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = listening.sockets[0].getsockname()[1]
    state.url = f"{scheme}://127.0.0.1:{port}/hooks"
    try:
        yield state
    finally:
        listening.close()


def client(**overrides: object) -> HttpClient:
    settings: dict[str, object] = {
        "limit": 8,
        "limit_per_host": 4,
        "read_at_most": 64,
        "headers": {"User-Agent": "test", "Content-Type": "application/json"},
    }
    return HttpClient(**{**settings, **overrides})  # type: ignore[arg-type]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_posts_reuse_one_kept_alive_connection_and_send_what_they_are_given() -> None:
    async def scenario() -> None:
        async with server() as receiver:
            http = client()
            for n in range(3):
                answer = await http.post(receiver.url + "?n=1", b'{"n":%d}' % n, {"X-Hook": "a"})
                assert answer.status == 204
            http.close()
        assert receiver.connections == 1
        first = receiver.requests[0]
        assert first.head.startswith(b"POST /hooks?n=1 HTTP/1.1\r\n")
        assert first.header("host") == receiver.url.split("/")[2]
        assert first.header("x-hook") == "a"
        assert first.header("content-type") == "application/json"
        assert [r.body for r in receiver.requests] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']

    run(scenario)


def test_a_connection_the_receiver_closed_while_idle_is_replaced() -> None:
    async def close_after_answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(NO_CONTENT)  # keep-alive by default, but the server hangs up anyway
        await writer.drain()
        writer.close()

    async def scenario() -> None:
        async with server(close_after_answer) as receiver:
            http = client()
            assert (await http.post(receiver.url, b"1", {})).status == 204
            await asyncio.wait_for(receiver.closed.wait(), 5)
            assert (await http.post(receiver.url, b"2", {})).status == 204
            http.close()
        assert receiver.connections == 2

    run(scenario)


def test_an_answer_is_read_up_to_the_limit_and_its_connection_dropped() -> None:
    async def long_answer(request: Request, writer: asyncio.StreamWriter) -> None:
        body = b"x" * 10_000
        writer.write(
            b"HTTP/1.1 500 Oops\r\nContent-Type: text/plain; charset=latin-1\r\n"
            b"Retry-After: 7\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    async def scenario() -> None:
        async with server(long_answer) as receiver:
            http = client()
            answer = await http.post(receiver.url, b"{}", {})
            assert (answer.status, answer.body, answer.charset) == (500, b"x" * 64, "latin-1")
            assert answer.headers["retry-after"] == "7"
            await http.post(receiver.url, b"{}", {})
            http.close()
        assert receiver.connections == 2  # the first was not reused

    run(scenario)


def test_chunked_answers_and_answers_that_run_to_the_close() -> None:
    async def chunked(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.body == b"chunked":
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            )
        else:
            writer.write(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\n\r\nuntil the end")
            writer.close()

    async def scenario() -> None:
        async with server(chunked) as receiver:
            http = client()
            answer = await http.post(receiver.url, b"chunked", {})
            assert (answer.status, answer.body) == (200, b"abcde")
            answer = await http.post(receiver.url, b"close", {})
            assert (answer.status, answer.body) == (202, b"until the end")
            http.close()

    run(scenario)


def test_no_answer_is_an_http_error() -> None:
    async def garbage(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SMTP ready\r\n\r\n")

    async def hang_up(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def scenario() -> None:
        http = client()
        async with server(garbage) as receiver:
            with pytest.raises(HttpError, match="not valid HTTP"):
                await http.post(receiver.url, b"{}", {})
        async with server(hang_up) as receiver:
            with pytest.raises(HttpError, match="closed before an answer"):
                await http.post(receiver.url, b"{}", {})
        with pytest.raises(HttpError, match="ConnectionRefusedError"):
            await http.post(receiver.url, b"{}", {})  # that server is gone
        http.close()

    run(scenario)


def test_a_timeout_closes_the_connection() -> None:
    async def never(request: Request, writer: asyncio.StreamWriter) -> None:
        assert request.reader is not None
        assert await request.reader.read() == b""  # no answer; the client hangs up

    async def scenario() -> None:
        async with server(never) as receiver:
            http = client()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await http.post(receiver.url, b"{}", {})
            await asyncio.wait_for(receiver.closed.wait(), 5)
            http.close()

    run(scenario)


def test_no_more_connections_to_one_host_than_its_limit() -> None:
    release = asyncio.Event()

    async def slow(request: Request, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.write(NO_CONTENT)

    async def scenario() -> None:
        async with server(slow) as receiver:
            http = client(limit_per_host=2)
            posts = [asyncio.create_task(http.post(receiver.url, b"{}", {})) for _ in range(6)]
            async with asyncio.timeout(5):
                while len(receiver.requests) < 2:
                    receiver.arrived.clear()
                    await receiver.arrived.wait()
            release.set()
            assert [a.status for a in await asyncio.gather(*posts)] == [204] * 6
            http.close()
        assert receiver.most_open == 2

    run(scenario)


def test_https_with_a_verified_certificate() -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)

    async def scenario() -> None:
        async with server(context=server_context) as receiver:
            http = client(ssl_context=trusting)
            assert (await http.post(receiver.url, b"{}", {})).status == 204
            http.close()
            # A client that does not trust that authority refuses the certificate.
            with pytest.raises(HttpError, match="CERTIFICATE_VERIFY_FAILED"):
                await client().post(receiver.url, b"{}", {})

    run(scenario)


def test_credentials_in_the_url_are_sent_as_basic_auth() -> None:
    async def scenario() -> None:
        async with server() as receiver:
            http = client()
            url = receiver.url.replace("://", "://hook%20user:s%3Acret@")
            await http.post(url, b"{}", {})
            http.close()
        expected = base64.b64encode(b"hook user:s:cret").decode()
        assert receiver.requests[0].header("authorization") == f"Basic {expected}"

    run(scenario)


@pytest.mark.parametrize(
    ("url", "headers", "error"),
    [
        ("ftp://example.com/hooks", {}, "Not an http"),
        ("http://example.com:99999/hooks", {}, "port is not valid"),
        ("http://example.com/hooks", {"X-Evil": "a\r\nInjected: yes"}, "cannot be sent"),
    ],
)
def test_what_cannot_be_sent_is_refused_before_connecting(
    url: str, headers: dict[str, str], error: str
) -> None:
    async def scenario() -> None:
        with pytest.raises(HttpError, match=error):
            await client().post(url, b"{}", headers)

    run(scenario)


def test_a_connection_goes_to_the_addresses_given_not_to_what_the_name_resolves_to() -> None:
    """The sender passes the addresses it checked were public (DNS rebinding)."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.invalid").configure_cert(server_context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)

    async def scenario() -> None:
        async with server(context=server_context) as receiver:
            port = receiver.url.rsplit(":", 1)[1].split("/")[0]
            url = f"https://hooks.invalid:{port}/hooks"  # .invalid never resolves
            http = client(ssl_context=trusting)
            answer = await http.post(url, b"{}", {}, addresses=["127.0.0.1"])
            assert answer.status == 204
            http.close()
            with pytest.raises(HttpError, match="No address"):
                await client(ssl_context=trusting).post(url, b"{}", {}, addresses=[])
        # The certificate was checked against the name, and the Host header carries it.
        assert receiver.requests[0].header("host") == f"hooks.invalid:{port}"

    run(scenario)


def test_public_addresses_are_returned_and_private_ones_refused() -> None:
    async def scenario() -> None:
        assert await public_addresses("8.8.8.8", 443) == ["8.8.8.8"]
        for host in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost"):
            with pytest.raises(Refused, match="non-public address"):
                await public_addresses(host, 443)

    run(scenario)

"""The gateway's HTTP server sends each answer in one write, and still speaks HTTP/1.1 as
uvicorn does: keep-alive, pipelining, `Connection: close`, streamed bodies."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from smsgate.http_server import _OneWritePerTurn, server_config
from tests.conftest import START_DEADLINE, wait_for


class RecordingTransport(asyncio.Transport):
    """Stands in for the socket's transport: notes each write and close."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_what_is_written_together_goes_out_in_one_write_right_after() -> None:
    async def scenario() -> None:
        inner = RecordingTransport()
        transport = _OneWritePerTurn(inner, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"")
        transport.write(b"ok")
        assert inner.writes == []
        assert transport.get_write_buffer_size() == 40
        await asyncio.sleep(0)  # the callbacks queued meanwhile run
        assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
        transport.write(b"next")
        await asyncio.sleep(0)
        assert inner.writes[1:] == [b"next"]

    asyncio.run(scenario())


def test_closing_sends_what_is_held_first_and_aborting_drops_it() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        closed_inner = RecordingTransport()
        closing = _OneWritePerTurn(closed_inner, loop)
        closing.write(b"last words")
        closing.close()
        assert closed_inner.writes == [b"last words"]
        assert closed_inner.closed

        aborted_inner = RecordingTransport()
        aborting = _OneWritePerTurn(aborted_inner, loop)
        aborting.write(b"never sent")
        aborting.abort()
        await asyncio.sleep(0)
        assert aborted_inner.writes == []
        assert aborted_inner.aborted

    asyncio.run(scenario())


def test_what_is_held_when_the_connection_goes_is_not_written_to_it() -> None:
    async def scenario() -> None:
        inner = RecordingTransport()
        transport = _OneWritePerTurn(inner, asyncio.get_running_loop())
        transport.write(b"too late")
        inner.closed = True  # the peer went away within the turn
        await asyncio.sleep(0)
        assert inner.writes == []

    asyncio.run(scenario())


async def hello(request: Request) -> Response:
    return PlainTextResponse(f"hello {request.query_params.get('n', '')}")


async def stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(3):
            yield f"chunk {n}\n".encode()
            await asyncio.sleep(0)

    return StreamingResponse(chunks(), media_type="text/plain")


@pytest.fixture
def server_address() -> Iterator[tuple[str, int]]:
    app = Starlette(routes=[Route("/hello", hello), Route("/stream", stream)])
    server = uvicorn.Server(server_config(app, log_level="warning", lifespan="off"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=START_DEADLINE)
    yield listener.getsockname()
    server.should_exit = True
    thread.join(timeout=START_DEADLINE)
    listener.close()


def read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_keep_alive_and_pipelined_requests_are_answered_in_order(
    server_address: tuple[str, int],
) -> None:
    with socket.create_connection(server_address, timeout=START_DEADLINE) as connection:
        connection.sendall(
            b"GET /hello?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /hello?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /hello?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        received = read_until_closed(connection)
    answers = received.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert [answer.rsplit(b"\r\n\r\n", 1)[1] for answer in answers] == [
        b"hello 1",
        b"hello 2",
        b"hello 3",
    ]
    assert b"connection: close" in answers[2]


def test_a_streamed_body_arrives_whole(server_address: tuple[str, int]) -> None:
    with socket.create_connection(server_address, timeout=START_DEADLINE) as connection:
        connection.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = read_until_closed(connection)
    head, body = received.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head
    assert body == b"8\r\nchunk 0\n\r\n8\r\nchunk 1\n\r\n8\r\nchunk 2\n\r\n0\r\n\r\n"

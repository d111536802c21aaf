"""How the gateway's HTTP server runs: uvicorn, on uvloop, parsing with httptools, each
response sent in one write.

uvicorn writes a response's head and its body in two `transport.write` calls, so two send
system calls (and, with Nagle off, two packets) for every API answer. In a burst those
writes were 7% of the gateway's CPU. The protocol here gives uvicorn a transport that
gathers what is written while the loop runs its ready callbacks and sends it in one write
right after them (`call_soon`): the head and the body of an answer go together, and
nothing waits longer than the callbacks already queued.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def server_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's Config for `app` as the gateway runs it; `options` are uvicorn's own."""
    return uvicorn.Config(app, loop="uvloop", http=_HttpProtocol, **options)


class _HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_OneWritePerTurn(transport, self.loop))  # type: ignore[arg-type]


class _OneWritePerTurn:
    """A transport that holds what is written to it until the loop's next callback and
    then sends it in one write. Everything else goes to the transport it wraps; closing
    sends what is held first, aborting drops it."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self._send_held)
        self._held.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _send_held(self) -> None:
        held = self._held
        if not held:
            return
        data = held[0] if len(held) == 1 else b"".join(held)
        held.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def write_eof(self) -> None:
        self._send_held()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._held))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

"""The server side of SMPP 3.4, for the simulator: accept, authenticate, serve binds.

    async with SmscServer(handler, port=0) as server:
        ...  # server.port; server.receiver("smsgate").deliver(DeliverSm(...))

One `Connection(Role.SMSC)` per accepted socket, served by a `_link.Link` (its own
TaskGroup: reader, timer, workers). The server's TaskGroup owns every session task. What
the SMSC does with binds and messages is the `SmscHandler`'s business.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Protocol, Self

from smsgate.errors import SmppError
from smsgate.smpp._link import BOUND, Link
from smsgate.smpp.connection import Connection, Role, State, error_response
from smsgate.smpp.esme import SmppTimeouts, set_nodelay
from smsgate.smpp.pdu import (
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    DataSm,
    DeliverSm,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
)
from smsgate.smpp.status import CommandId, CommandStatus

__all__ = ["BindRequest", "SmscHandler", "SmscServer", "SmscSession", "SubmitAnswer"]

log = logging.getLogger("smsgate.smpp")

BindRequest = BindTransmitter | BindReceiver | BindTransceiver
_RX_STATES = (State.BOUND_RX, State.BOUND_TRX)
_BIND_RESPONSES: dict[int, type[BindTransmitterResp | BindReceiverResp | BindTransceiverResp]] = {
    CommandId.bind_transmitter: BindTransmitterResp,
    CommandId.bind_receiver: BindReceiverResp,
    CommandId.bind_transceiver: BindTransceiverResp,
}


SubmitAnswer = SubmitSmResp | int
"""A submit_sm_resp (same sequence_number as the request), or an error command_status."""


class SmscHandler(Protocol):
    """What an SMSC does with its ESMEs' requests (the simulator implements it)."""

    async def on_bind(self, session: SmscSession, bind: BindRequest) -> CommandStatus:
        """ESME_ROK accepts the bind; anything else refuses it (e.g. ESME_RINVPASWD)."""
        ...

    def on_submit(
        self, session: SmscSession, pdu: SubmitSm
    ) -> SubmitAnswer | Coroutine[Any, Any, SubmitAnswer]:
        """Answer a submit_sm, at once (the fast path: no task switch) or as a coroutine
        when the answer must wait; `async def` works too. It runs within the session's
        response timeout, after which ESME_RSYSERR is sent instead."""
        ...


class SmscSession:
    """One ESME connected to an `SmscServer`.

    `system_id` is set once a bind is accepted. After the session ends, `deliver`
    raises SessionClosedError and the server forgets the session.
    """

    def __init__(
        self,
        server: SmscServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.system_id: str | None = None
        self._server = server
        timeouts = server.timeouts
        self._link = Link(
            Connection(Role.SMSC, window=server.window),
            reader,
            writer,
            on_request=self._on_request,
            name=f"smsc {self.peer}",
            response_timeout=timeouts.response,
            enquire_link_interval=timeouts.enquire_link_interval,
            handler_timeout=timeouts.response,
            workers=server.workers,
            bind_timeout=timeouts.bind,
        )

    def __repr__(self) -> str:
        return f"SmscSession({self.peer}, system_id={self.system_id!r}, {self.state.value})"

    @property
    def state(self) -> State:
        return self._link.connection.state

    @property
    def is_bound(self) -> bool:
        return self._link.is_bound

    @property
    def is_receiver(self) -> bool:
        """Bound as receiver or transceiver: deliver_sm may go to it."""
        return self._link.is_bound and self.state in _RX_STATES

    def clock(self) -> float:
        """The event loop's clock (`loop.time()`)."""
        return self._link.clock()

    def next_sequence(self) -> int:
        """The sequence_number for the next deliver_sm/data_sm to this ESME."""
        return self._link.next_sequence()

    async def deliver(self, pdu: DeliverSm | DataSm) -> Pdu:
        """Send a deliver_sm/data_sm and return the ESME's answer, any status.

        Number it with `next_sequence()`. Waits for a window slot if all are taken.

        Raises:
            SessionClosedError, ResponseTimeout, LocalProtocolError (not a receiver).
        """
        return await self._link.request(pdu)

    async def unbind(self) -> None:
        """Graceful close from our side: drain, unbind, wait unbind_resp (each bounded)."""
        budget = self._server.timeouts.unbind
        link = self._link
        await link.drain(budget)
        if not link.is_closed and self.state in BOUND:
            try:
                async with asyncio.timeout(budget):
                    await link.request(Unbind(sequence_number=link.next_sequence()))
            except (TimeoutError, SmppError) as exc:
                log.warning("%s: no unbind_resp (%s); closing anyway", link.name, exc)
        link.close("we unbound")

    def abort(self, reason: str = "connection dropped") -> None:
        """Drop the TCP connection without a word (for fault injection)."""
        self._link.close(reason, abort=True)

    def start_deliver(self, pdu: DeliverSm | DataSm) -> Coroutine[Any, Any, asyncio.Future[Pdu]]:
        """Like `deliver`, but return once sent: the future of the ESME's answer.

        Lets one task keep a window of deliveries in flight; retrieve each future's
        result or exception.
        """
        return self._link.send(pdu)

    def _on_request(self, pdu: Pdu) -> Pdu | Coroutine[Any, Any, Pdu | None]:
        if isinstance(pdu, SubmitSm):
            answer = self._server.handler.on_submit(self, pdu)
            if isinstance(answer, SubmitSmResp | int):
                return _submit_resp(pdu, answer)
            return self._submitted(pdu, answer)
        if isinstance(pdu, BindTransmitter | BindReceiver | BindTransceiver):
            return self._bind(pdu)
        return error_response(pdu, CommandStatus.ESME_RINVCMDID)

    async def _submitted(self, pdu: SubmitSm, answer: Coroutine[Any, Any, SubmitAnswer]) -> Pdu:
        return _submit_resp(pdu, await answer)

    async def _bind(self, pdu: BindRequest) -> None:
        # SMPP 3.4 §4.1: the bind_*_resp carries the SMSC's system_id.
        status = await self._server.handler.on_bind(self, pdu)
        response = _BIND_RESPONSES[pdu.command_id]
        if status:
            self._link.reply(response(sequence_number=pdu.sequence_number, command_status=status))
            return
        self.system_id = pdu.system_id
        self._link.reply(
            response(sequence_number=pdu.sequence_number, system_id=self._server.system_id)
        )
        self._server._session_changed()


def _submit_resp(pdu: SubmitSm, answer: SubmitAnswer) -> SubmitSmResp:
    if isinstance(answer, int):
        return SubmitSmResp(sequence_number=pdu.sequence_number, command_status=answer)
    if answer.sequence_number != pdu.sequence_number:
        answer = dataclasses.replace(answer, sequence_number=pdu.sequence_number)
    return answer


class SmscServer:
    """An SMPP listener: accepts ESMEs on `host:port` and serves them with `handler`.

    Args:
        handler: authenticates binds and answers submits.
        host, port: where to listen; port 0 picks a free one (see `port`).
        system_id: ours, sent in every bind response.
        window: deliver_sm per session that may await an answer.
        timeouts: per session; `bind` is how long a connection may stay unbound.
        workers: requests per session handled at once.

    Start it with `async with` (or `start()` and `aclose()` from one task). `aclose`
    stops listening, unbinds every session (bounded by `timeouts.unbind` twice) and
    returns when all session tasks have ended.
    """

    def __init__(
        self,
        handler: SmscHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        system_id: str = "smsgate-sim",
        window: int = 64,
        timeouts: SmppTimeouts | None = None,
        workers: int = 64,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.system_id = system_id
        self.window = window
        self.timeouts = timeouts or SmppTimeouts()
        self.workers = workers
        self._sessions: set[SmscSession] = set()
        self._server: asyncio.Server | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._receivers: dict[str | None, list[SmscSession]] = {}
        self._turn = itertools.count()

    @property
    def sessions(self) -> list[SmscSession]:
        """Connected sessions, bound or not."""
        return list(self._sessions)

    async def start(self) -> None:
        """Listen. Raises OSError if the address is taken."""
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        try:
            self._server = await asyncio.start_server(self._accept, self.host, self.port)
        except BaseException:
            await self._tasks.__aexit__(None, None, None)
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SMSC listening on %s:%d", self.host, self.port)

    async def aclose(self) -> None:
        """Stop listening, unbind every session, wait for their tasks. Safe to repeat."""
        if self._tasks is None or self._closing:
            return
        self._closing = True
        assert self._server is not None
        self._server.close()
        async with asyncio.TaskGroup() as unbinds:
            for session in self.sessions:
                unbinds.create_task(session.unbind())
        await self._tasks.__aexit__(None, None, None)
        try:
            async with asyncio.timeout(self.timeouts.unbind):
                await self._server.wait_closed()
        except TimeoutError:
            log.warning("SMSC listener on port %d did not close in time", self.port)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.drop_connections()
        await self.aclose()

    def receiver(self, system_id: str | None = None) -> SmscSession | None:
        """A session bound as receiver/transceiver (for `system_id`, if given), or None.

        Several candidates take turns.
        """
        candidates = self._receivers.get(system_id)
        if candidates is None:  # rebuilt after each bind or close: this is per receipt
            candidates = self._receivers[system_id] = [
                s
                for s in self._sessions
                if s.is_receiver and (system_id is None or s.system_id == system_id)
            ]
        if not candidates:
            return None
        session = (
            candidates[next(self._turn) % len(candidates)] if len(candidates) > 1 else candidates[0]
        )
        return session if session.is_receiver else None

    async def wait_receiver(self, system_id: str | None = None) -> SmscSession:
        """Wait for `receiver(system_id)`. No deadline of its own: wrap it in one."""
        while (session := self.receiver(system_id)) is None:
            self._changed.clear()
            await self._changed.wait()
        return session

    def drop_connections(self) -> None:
        """Abort every connection at once, without unbind (fault injection)."""
        for session in self.sessions:
            session.abort()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._tasks is None or self._closing:
            writer.transport.abort()
            return
        self._tasks.create_task(self._serve(reader, writer))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        set_nodelay(writer)
        session = SmscSession(self, reader, writer)
        self._sessions.add(session)
        try:
            await session._link.run()
        finally:
            self._sessions.discard(session)
            self._session_changed()
            log.info("%r ended: %s", session, session._link.close_reason)

    def _session_changed(self) -> None:
        self._receivers.clear()
        self._changed.set()

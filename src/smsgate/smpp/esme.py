"""Our client side of SMPP 3.4: connect, bind, submit, take deliveries, unbind.

    async with EsmeSession("127.0.0.1", 2775, system_id="gw", password="secret",
                           on_deliver=handle) as session:
        resp = await session.submit(SubmitSm(sequence_number=session.next_sequence(), ...))

The session is thin glue over `Connection(Role.ESME)`; the shared machinery (window,
response matching, keepalive, expiry, batched writes) is in `_link`.

Errors (all under smsgate.errors.SmppError):

    BindError            could not connect or the SMSC refused the bind (`status`)
    SessionClosedError   the session ended or is closing (outcome of a sent request unknown)
    ResponseTimeout      no answer within SmppTimeouts.response
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from smsgate.errors import ConfigError, SmppError
from smsgate.smpp._link import BOUND, Link, ResponseTimeout, SessionClosedError
from smsgate.smpp.connection import Connection, Role, error_response
from smsgate.smpp.pdu import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    Pdu,
    SubmitSm,
    Unbind,
)
from smsgate.smpp.status import CommandStatus

__all__ = [
    "BindError",
    "BindMode",
    "DeliverCallback",
    "EsmeSession",
    "ResponseTimeout",
    "SessionClosedError",
    "SmppTimeouts",
    "set_nodelay",
    "status_name",
]

log = logging.getLogger("smsgate.smpp")

BindMode = Literal["transceiver", "transmitter_receiver"]
DeliverCallback = Callable[[DeliverSm | DataSm], Awaitable[CommandStatus]]
"""Takes a deliver_sm/data_sm; returns the command_status of its response."""


@dataclass(frozen=True, slots=True)
class SmppTimeouts:
    """Deadlines of one SMPP session, in seconds. Each must be > 0 (else ConfigError).

    Attributes:
        connect: the TCP connect.
        bind: from the bind request to its response.
        response: any other request to its response; also the budget of the callback
            that answers a deliver_sm.
        enquire_link_interval: silence from the peer before we send enquire_link.
        unbind: graceful close: first for outstanding requests, then for unbind_resp.
    """

    connect: float = 5.0
    bind: float = 5.0
    response: float = 10.0
    enquire_link_interval: float = 30.0
    unbind: float = 5.0

    def __post_init__(self) -> None:
        for name in ("connect", "bind", "response", "enquire_link_interval", "unbind"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"SmppTimeouts.{name} is {value!r}; it must be above 0 seconds.")


class BindError(SmppError):
    """No bound session: the connect failed or timed out, or the SMSC refused the bind.

    `status` is the SMSC's command_status (ESME_RBINDFAIL, ESME_RINVPASWD, ...), or
    None when no bind response came. Nothing stays open.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def set_nodelay(writer: asyncio.StreamWriter) -> None:
    """Send small PDUs at once (no Nagle delay): SMPP is request/response."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:  # not a TCP socket (tests may use others): nothing to tune
            log.debug("TCP_NODELAY not set: %r", exc)


def status_name(status: int) -> str:
    """ESME_RTHROTTLED for 0x58; the hex value for statuses outside SMPP 3.4 table 5-2."""
    try:
        return CommandStatus(status).name
    except ValueError:
        return f"0x{status:08X}"


class EsmeSession:
    """One bound ESME session: a transceiver bind, or a transmitter plus a receiver.

    Use it as an async context manager: entering connects and binds (raising BindError),
    leaving unbinds gracefully (or aborts, when leaving on an exception). Its TaskGroup
    owns the reader, timer and worker tasks of each bind.

    Args:
        host, port: the SMSC.
        system_id, password, system_type: the bind credentials (SMPP 3.4 §4.1).
        bind_mode: "transceiver" (one bind_transceiver) or "transmitter_receiver" (a
            bind_transmitter for submits plus a bind_receiver for deliveries).
        window: requests per bind that may await an answer; submitters beyond it wait.
        timeouts: the session's deadlines.
        on_deliver: answers each deliver_sm/data_sm with a status. If it raises or takes
            longer than `timeouts.response`, the answer is ESME_RX_T_APPN (the SMSC
            delivers again later); with no callback every delivery gets ESME_RX_T_APPN.

    After the session ends (the SMSC closed it, unbound, or stopped answering
    enquire_link) `is_bound` is False, `close_reason` says why, and `submit` raises
    SessionClosedError. A session is never re-opened: make a new one.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        system_id: str,
        password: str,
        system_type: str = "",
        bind_mode: BindMode = "transceiver",
        window: int = 64,
        timeouts: SmppTimeouts | None = None,
        on_deliver: DeliverCallback | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.system_id = system_id
        self._password = password
        self.system_type = system_type
        self.bind_mode = bind_mode
        self.window = window
        self.timeouts = timeouts or SmppTimeouts()
        self._on_deliver = on_deliver
        self._links: list[Link] = []
        self._tx: Link | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._ended = asyncio.Event()
        self._closing = False
        self.close_reason: str | None = None

    def __repr__(self) -> str:
        return f"EsmeSession({self.host}:{self.port}, system_id={self.system_id!r})"

    @property
    def is_bound(self) -> bool:
        """True while every bind is up and the session takes submits."""
        return bool(self._links) and all(link.is_bound for link in self._links)

    @property
    def window_in_use(self) -> int:
        """Submits awaiting their submit_sm_resp."""
        return 0 if self._tx is None else self._tx.window_in_use

    @property
    def waiting(self) -> int:
        """Submits waiting for a window slot (backpressure)."""
        return 0 if self._tx is None else self._tx.waiting

    @property
    def keepalives(self) -> int:
        """enquire_links the SMSC answered, over all binds."""
        return sum(link.keepalives for link in self._links)

    def next_sequence(self) -> int:
        """The sequence_number for the next submit_sm (number a PDU before building it)."""
        if self._tx is None:
            raise SessionClosedError(f"{self!r} is not bound.")
        return self._tx.next_sequence()

    def submit(self, pdu: SubmitSm) -> Coroutine[Any, Any, Pdu]:
        """Send a submit_sm; await the answer: SubmitSmResp or generic_nack, any status.

        Waits for a window slot first (no error while the window is full). (A plain
        function returning the link's coroutine: one coroutine level less per submit.)

        Raises:
            SessionClosedError, ResponseTimeout, LocalProtocolError (nothing sent),
            RemoteProtocolError (the SMSC answered with another command).
        """
        if self._tx is None:
            raise SessionClosedError(f"{self!r} is not bound.")
        return self._tx.request(pdu)

    async def wait_closed(self) -> None:
        """Return when any bind of the session has ended (no deadline: see keepalive)."""
        await self._ended.wait()

    async def __aenter__(self) -> Self:
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        try:
            if self.bind_mode == "transmitter_receiver":
                self._tx = await self._bind(BindTransmitter, "tx")
                await self._bind(BindReceiver, "rx")
            else:
                self._tx = await self._bind(BindTransceiver, "trx")
        except BaseException:
            self._abort("the bind did not complete")
            await self._tasks.__aexit__(None, None, None)
            raise
        log.info("%r bound (%s)", self, self.bind_mode)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.aclose()
        else:
            self._abort(f"leaving on {exc_type.__name__ if exc_type else 'error'}")
        assert self._tasks is not None
        await self._tasks.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """Unbind gracefully: refuse new submits, let outstanding ones finish (at most
        `timeouts.unbind`), send unbind, wait for unbind_resp (at most `timeouts.unbind`),
        close. Safe to call twice and after the session ended on its own."""
        self._closing = True
        budget = self.timeouts.unbind
        for link in self._links:
            if not await link.drain(budget):
                log.warning("%s: closing with %d answers missing", link.name, link.window_in_use)
        for link in self._links:
            if link.is_closed or link.connection.state not in BOUND:
                continue
            try:
                async with asyncio.timeout(budget):
                    await link.request(Unbind(sequence_number=link.next_sequence()))
            except (TimeoutError, SmppError) as exc:
                log.warning("%s: no unbind_resp (%s); closing anyway", link.name, exc)
            link.close("we unbound")
        self._abort("we unbound")

    def _abort(self, reason: str) -> None:
        for link in self._links:
            link.close(reason, abort=True)
        if self.close_reason is None:
            self.close_reason = reason
        self._ended.set()

    async def _bind(
        self, command: type[BindTransmitter | BindReceiver | BindTransceiver], kind: str
    ) -> Link:
        assert self._tasks is not None
        where = f"{self.host}:{self.port}"
        timeouts = self.timeouts
        try:
            async with asyncio.timeout(timeouts.connect):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise BindError(f"Could not connect to the SMSC at {where}: {exc!r}.") from exc
        set_nodelay(writer)
        link = Link(
            Connection(Role.ESME, window=self.window),
            reader,
            writer,
            on_request=self._on_request,
            name=f"esme {where} {kind}",
            response_timeout=timeouts.response,
            enquire_link_interval=timeouts.enquire_link_interval,
            handler_timeout=timeouts.response,
            timeout_status=CommandStatus.ESME_RX_T_APPN,
            # A deliver_sm is answered once its receipt or message is committed, and the
            # writer commits whatever is waiting together: a worker per window slot lets a
            # whole window of them share one commit instead of going eight at a time.
            workers=self.window,
        )
        self._links.append(link)
        self._tasks.create_task(self._serve(link))
        bind = command(
            sequence_number=link.next_sequence(),
            system_id=self.system_id,
            password=self._password,
            system_type=self.system_type,
        )
        name = bind.command_id.name
        try:
            async with asyncio.timeout(timeouts.bind):
                answer = await link.request(bind)
        except (TimeoutError, SmppError) as exc:
            raise BindError(f"No answer to {name} from the SMSC at {where}: {exc}") from exc
        if answer.command_status or not link.is_bound:  # refused, or a bodiless nack
            status = answer.command_status
            raise BindError(
                f"The SMSC at {where} refused {name} for system_id {self.system_id!r} with"
                f" {status_name(status)}; check system_id, password and system_type.",
                status,
            )
        return link

    async def _serve(self, link: Link) -> None:
        await link.run()
        if self._closing:
            return  # aclose() takes the binds down one by one
        if self.close_reason is None:
            self.close_reason = link.close_reason
            log.warning("%s: session ended: %s", link.name, link.close_reason)
        self._abort(link.close_reason or "a bind ended")  # one bind down: the session ends

    def _on_request(self, pdu: Pdu) -> Pdu | Coroutine[Any, Any, Pdu]:
        # SMPP 3.4 §4.6 / §4.7: the SMSC delivers a message or a receipt to us.
        if isinstance(pdu, DeliverSm | DataSm):
            return self._delivered(pdu)
        return error_response(pdu, CommandStatus.ESME_RINVCMDID)

    async def _delivered(self, pdu: DeliverSm | DataSm) -> Pdu:
        status = CommandStatus.ESME_RX_T_APPN
        if self._on_deliver is not None:
            try:
                status = await self._on_deliver(pdu)
            except Exception:
                log.exception("on_deliver failed; answering ESME_RX_T_APPN")
                status = CommandStatus.ESME_RX_T_APPN
        response = DeliverSmResp if isinstance(pdu, DeliverSm) else DataSmResp
        return response(sequence_number=pdu.sequence_number, command_status=status)

"""One SMPP session over an asyncio stream: the glue both ends share.

Theory of operation
-------------------
A `Link` owns one TCP connection and one sans-I/O `Connection`. `run()` starts, in one
TaskGroup, a reader, a timer and a few workers, and returns when the link closes:

- The reader feeds bytes to the connection and acts on each event. Responses resolve the
  future of the request they answer. enquire_link and unbind are answered on the spot
  (SMPP 3.4 §4.11, §4.2); every other request is queued for the workers, which call the
  role's `on_request` and write its answer. The queue holds one window of requests: when
  it is full the reader stops reading, so a slow handler slows the peer instead of
  growing a buffer. PduRejected gets its `reply`; a FramingError closes the link.
- The timer expires our requests left unanswered for `response_timeout`
  (`Connection.expired`), sends enquire_link when nothing arrived for
  `enquire_link_interval`, and closes the link when an enquire_link goes unanswered or
  no bind came within `bind_timeout` (SMSC side).
- `request()` sends at once if the window has room; otherwise the request waits in
  line (backpressure: the caller waits, nothing fails) and goes out the moment an
  answer frees a slot. A slot is freed by the answer, by expiry or by the close, so
  the wait always ends. enquire_link and unbind take no slot.

Writes are batched: PDUs written in one loop iteration leave in one `transport.write`.
Closing fails every waiting request and slot with SessionClosedError; the link is then
spent (a new session needs a new TCP connection). The window lives in `_window`, the job
queue and its workers in `_jobs`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from smsgate.errors import SmppError
from smsgate.smpp._jobs import Job, Jobs
from smsgate.smpp._state import UNANSWERED
from smsgate.smpp._window import Window
from smsgate.smpp.connection import NEED_DATA, Connection, PduRejected, State, error_response
from smsgate.smpp.errors import FramingError, LocalProtocolError
from smsgate.smpp.pdu import EnquireLink, EnquireLinkResp, Pdu, UnbindResp
from smsgate.smpp.status import RESPONSE_BIT, CommandId, CommandStatus

log = logging.getLogger("smsgate.smpp")

BOUND: Final = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})
_WINDOW_EXEMPT: Final = frozenset({CommandId.enquire_link, CommandId.unbind})
_READ_SIZE: Final = 256 * 1024
_HIGH_WATER: Final = 512 * 1024  # bytes queued in the transport before writers wait
_CLOSE_GRACE: Final = 1.0  # seconds to flush our last PDUs before the socket is dropped

RequestHandler = Callable[[Pdu], Pdu | Job | None]
"""Answers a peer request: the response, None if it replied itself, or a coroutine that
produces one of those (run by a worker). Returning the answer directly is the fast path:
no task switch."""


class SessionClosedError(SmppError):
    """The session ended, or is ending and takes no new requests.

    `sent` tells the two cases apart: a request that was sent has an unknown outcome
    (the peer may have acted on it); one refused before sending never left.
    """

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.sent = sent


class ResponseTimeout(SmppError):
    """The peer did not answer a request within the response timeout.

    The request's window slot is free again; a late answer is logged and dropped.
    """


class Link:
    """One SMPP session over an asyncio stream (see the module docstring).

    Args:
        connection: the sans-I/O state for our role, in state OPEN.
        reader, writer: the connected stream.
        on_request: answers peer requests other than enquire_link and unbind.
        name: for log lines, e.g. "esme 127.0.0.1:2775 trx".
        response_timeout: seconds an answer to our request may take.
        enquire_link_interval: seconds of silence from the peer before we enquire.
        handler_timeout: seconds `on_request` may take; then `timeout_status` is sent.
        timeout_status: the command_status that answers a request the handler timed out on.
        workers: how many requests `on_request` handles at once.
        bind_timeout: close if still not bound after this many seconds (None: never).
    """

    def __init__(
        self,
        connection: Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        on_request: RequestHandler,
        name: str,
        response_timeout: float,
        enquire_link_interval: float,
        handler_timeout: float,
        timeout_status: CommandStatus = CommandStatus.ESME_RSYSERR,
        workers: int = 8,
        bind_timeout: float | None = None,
    ) -> None:
        self.connection = connection
        self.name = name
        self.keepalives = 0  # enquire_link_resp received for our enquire_links
        self.close_reason: str | None = None
        self._reader = reader
        self._writer = writer
        self._transport = writer.transport
        self._loop = asyncio.get_running_loop()
        self._on_request = on_request
        self._response_timeout = response_timeout
        self._interval = enquire_link_interval
        self._handler_timeout = handler_timeout
        self._bind_timeout = bind_timeout
        self._window = Window(connection.window, self._dispatch)
        # sequence_number -> (future of the answer, whether it holds a window slot)
        self._pending: dict[int, tuple[asyncio.Future[Pdu], bool]] = {}
        self._jobs = Jobs(
            workers=workers,
            capacity=connection.window,
            timeout=handler_timeout,
            timeout_status=timeout_status,
            answer=self._answer,
            name=name,
        )
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._accepting = True
        self._closed: SessionClosedError | None = None
        self._done = asyncio.Event()
        self._keepalive_pending = False
        self._started = self._last_read = self._loop.time()

    @property
    def is_bound(self) -> bool:
        """True while bound and taking new requests."""
        return self._accepting and self.connection.state in BOUND

    @property
    def is_closed(self) -> bool:
        return self._closed is not None

    @property
    def window_in_use(self) -> int:
        """Window slots held by requests awaiting an answer."""
        return self._window.in_use

    @property
    def waiting(self) -> int:
        """Requests waiting for a window slot."""
        return self._window.waiting

    def clock(self) -> float:
        return self._loop.time()

    def next_sequence(self) -> int:
        """A sequence_number for the next request (`Connection.next_sequence`)."""
        return self.connection.next_sequence()

    async def run(self) -> None:
        """Serve the link until it closes; the reason is then in `close_reason`.

        Network trouble ends it quietly; only bugs raise. On return the socket is closed.
        """
        try:
            async with asyncio.TaskGroup() as tasks:
                helpers = [tasks.create_task(self._read()), tasks.create_task(self._timers())]
                helpers += self._jobs.start(tasks)
                try:
                    # Ends when close() runs: EOF, a socket error, a FramingError, a dead
                    # keepalive or an unbind all lead there.
                    await self._done.wait()
                finally:
                    for task in helpers:
                        task.cancel()
        finally:
            self.close("the session task ended")
            self._jobs.close()
            await self._wait_transport_closed()

    async def request(self, pdu: Pdu) -> Pdu:
        """Send a request and return its answer (a `*_resp` or generic_nack, any status).

        `pdu.sequence_number` must come from `next_sequence()`. Waits for a window slot
        first unless it is enquire_link or unbind.

        Raises:
            SessionClosedError: the link closed, or is closing and takes no new requests.
            ResponseTimeout: no answer within the response timeout.
            LocalProtocolError: the connection refused to send it (wrong bind state, a
                field out of range); nothing was sent.
            RemoteProtocolError: the peer answered with the wrong command.
        """
        # The hot path of every submit: kept flat (each coroutine level costs on every
        # suspend and resume). No deadline on the answer here: the timer fails it after
        # response_timeout.
        windowed = pdu.command_id not in _WINDOW_EXEMPT
        if windowed and not self._window.take_nowait():
            # Full: wait in line. The request goes out as soon as a slot frees, so its
            # sender wakes once, for the answer.
            answer: asyncio.Future[Pdu] = self._loop.create_future()
            self._window.enqueue(pdu, answer)
            return await answer
        if self._transport.get_write_buffer_size() > _HIGH_WATER:
            await self._drain_writes(windowed)
        return await self._start(pdu, windowed)

    async def send(self, pdu: Pdu) -> asyncio.Future[Pdu]:
        """Like `request`, but return once sent: the future of the answer.

        Lets one task keep many requests in flight. The future fails with what
        `request` raises after sending; retrieve its result or exception.
        """
        windowed = pdu.command_id not in _WINDOW_EXEMPT
        if windowed and not self._window.take_nowait():
            await self._window.take()
        if self._transport.get_write_buffer_size() > _HIGH_WATER:
            await self._drain_writes(windowed)
        return self._start(pdu, windowed)

    def reply(self, pdu: Pdu) -> None:
        """Send a response (or generic_nack) now. Logged and dropped if it cannot go."""
        try:
            data = self.connection.send(pdu)
        except LocalProtocolError as exc:
            log.warning("%s: not sending %s: %s", self.name, pdu.command_id.name, exc.message)
            return
        self._write(data)

    async def drain(self, budget: float) -> bool:
        """Stop taking requests and wait up to `budget` s for ours to be answered.

        Returns:
            True if none is outstanding any more.
        """
        self._accepting = False
        self._window.stop(self._refusal)
        return await self._window.drained(budget)

    def close(self, reason: str, *, abort: bool = False) -> None:
        """Close now: fail every waiting request, flush (unless `abort`), drop the socket."""
        if self._closed is not None:
            return
        self.close_reason = reason
        self._closed = error = SessionClosedError(f"{self.name}: {reason}", sent=True)
        self._accepting = False
        if abort:
            self._out.clear()
            self._transport.abort()
        else:
            self._flush()
            self._transport.close()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
        self._window.stop(self._refusal)
        self._window.clear()
        self._done.set()

    async def wait_closed(self) -> None:
        """Return once the link has closed. No deadline: the keepalive bounds it."""
        await self._done.wait()

    def _answer(self, pdu: Pdu) -> None:
        if self._closed is None:
            self.reply(pdu)

    def _refusal(self) -> SessionClosedError:
        why = self.close_reason or "closing"
        return SessionClosedError(f"{self.name}: {why}; the request was not sent.")

    # -- sending -------------------------------------------------------------------

    async def _drain_writes(self, windowed: bool) -> None:
        # The peer reads slower than we write: wait, so our buffer stays bounded.
        try:
            self._flush()
            async with asyncio.timeout(self._response_timeout):
                await self._writer.drain()
        except BaseException:
            if windowed:
                self._window.give_back()
            raise

    def _start(self, pdu: Pdu, windowed: bool) -> asyncio.Future[Pdu]:
        try:
            if self._closed is not None:
                raise self._refusal()
            return self._send_nowait(pdu, windowed)
        except BaseException:
            if windowed:
                self._window.give_back()
            raise

    def _dispatch(self, pdu: Pdu, answer: asyncio.Future[Pdu]) -> bool:
        # A request that waited in line, sent with the slot the window hands it.
        try:
            data = self.connection.send(pdu, now=self._loop.time())
        except LocalProtocolError as exc:
            answer.set_exception(exc)
            return False
        self._pending[pdu.sequence_number] = (answer, True)
        self._write(data)
        return True

    def _send_nowait(self, pdu: Pdu, windowed: bool) -> asyncio.Future[Pdu]:
        data = self.connection.send(pdu, now=self._loop.time())
        future: asyncio.Future[Pdu] = self._loop.create_future()
        self._pending[pdu.sequence_number] = (future, windowed)
        self._write(data)
        return future

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        out = self._out
        if out and not self._transport.is_closing():
            self._transport.write(out[0] if len(out) == 1 else b"".join(out))
        out.clear()

    # -- receiving -----------------------------------------------------------------

    async def _read(self) -> None:
        connection = self.connection
        reader = self._reader
        while self._closed is None:
            try:
                data = await reader.read(_READ_SIZE)
            except OSError as exc:
                self.close(f"reading failed: {exc!r}")
                return
            if not data:
                self.close("the peer closed the connection")
                return
            self._last_read = self._loop.time()
            connection.receive_data(data)
            try:
                while self._closed is None and (event := connection.next_event()) is not NEED_DATA:
                    if isinstance(event, PduRejected):
                        self._rejected(event)
                    elif event.command_id & RESPONSE_BIT:
                        self._answered(event)
                    elif (job := self._requested(event)) is not None:
                        await self._jobs.put(*job)  # full: stop reading (backpressure)
            except FramingError as exc:
                # The stream cannot be re-synchronised (SMPP 3.4 §3.2): say why, then go.
                log.warning("%s: %s", self.name, exc.message)
                self.reply(error_response(exc))
                self.close(f"framing lost: {exc.message}")
                return

    def _answered(self, pdu: Pdu) -> None:
        entry = self._pending.pop(pdu.sequence_number, None)
        if entry is None:  # a request sent outside `request` (none are)
            return
        future, windowed = entry
        if windowed:
            self._window.give_back()
        if not future.done():
            future.set_result(pdu)

    def _rejected(self, event: PduRejected) -> None:
        log.warning("%s: rejected a PDU from the peer: %s", self.name, event.error.message)
        if event.request is not None:
            entry = self._pending.pop(event.request.sequence_number, None)
            if entry is not None:
                future, windowed = entry
                if windowed:
                    self._window.give_back()
                if not future.done():
                    future.set_exception(event.error)
        if event.reply is not None:
            self.reply(event.reply)

    def _requested(self, pdu: Pdu) -> tuple[Pdu, Job] | None:
        """Act on a peer request; return the job to queue when the queue is full."""
        command_id = pdu.command_id
        if command_id is CommandId.enquire_link:
            self.reply(EnquireLinkResp(sequence_number=pdu.sequence_number))
        elif command_id is CommandId.unbind:
            # SMPP 3.4 §4.2: answer, then the connection goes.
            self.reply(UnbindResp(sequence_number=pdu.sequence_number))
            self.close("the peer unbound")
        elif command_id in UNANSWERED:
            log.info("%s: ignoring %s", self.name, command_id.name)
        else:
            try:
                answer = self._on_request(pdu)
            except Exception:
                log.exception("%s: handling %s failed", self.name, command_id.name)
                answer = error_response(pdu)
            if isinstance(answer, Pdu):
                self.reply(answer)
            elif answer is not None and not self._jobs.put_nowait(pdu, answer):
                return pdu, answer
        return None

    # -- timers --------------------------------------------------------------------

    async def _timers(self) -> None:
        connection = self.connection
        deadlines = [self._response_timeout, self._interval, self._handler_timeout]
        if self._bind_timeout is not None:
            deadlines.append(self._bind_timeout)
        tick = max(0.005, min(1.0, *(d / 4 for d in deadlines)))  # a quarter of the shortest
        while True:
            await asyncio.sleep(tick)
            now = self._loop.time()
            for request in connection.expired(now, self._response_timeout):
                self._expire(request)
            self._jobs.expire(now)
            state = connection.state
            if (
                self._bind_timeout is not None
                and state is State.OPEN
                and now - self._started > self._bind_timeout
            ):
                self.close(f"no bind within {self._bind_timeout} s")
            elif (
                state in BOUND
                and not self._keepalive_pending
                and now - self._last_read >= self._interval
            ):
                self._enquire()

    def _enquire(self) -> None:
        # SMPP 3.4 §4.11: enquire_link checks that the peer is still there.
        try:
            future = self._send_nowait(EnquireLink(sequence_number=self.next_sequence()), False)
        except LocalProtocolError as exc:  # unbinding: the state no longer allows it
            log.debug("%s: no enquire_link: %s", self.name, exc.message)
            return
        self._keepalive_pending = True
        future.add_done_callback(self._enquired)

    def _enquired(self, future: asyncio.Future[Pdu]) -> None:
        self._keepalive_pending = False
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            self.keepalives += 1
        elif isinstance(error, ResponseTimeout):
            self.close(f"no enquire_link_resp within {self._response_timeout} s")

    def _expire(self, request: Pdu) -> None:
        entry = self._pending.pop(request.sequence_number, None)
        if entry is None:
            return
        future, windowed = entry
        if windowed:
            self._window.give_back()
        if not future.done():
            future.set_exception(
                ResponseTimeout(
                    f"{self.name}: no answer to {request.command_id.name} (sequence_number"
                    f" {request.sequence_number}) within {self._response_timeout} s."
                )
            )

    async def _wait_transport_closed(self) -> None:
        if not self._transport.is_closing():
            self._transport.close()
        try:
            async with asyncio.timeout(_CLOSE_GRACE):
                await self._writer.wait_closed()
        except TimeoutError:
            self._transport.abort()
        except OSError as exc:  # the connection failed while closing: closed either way
            log.debug("%s: closing: %r", self.name, exc)

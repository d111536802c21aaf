"""The SMSC simulator: a real SMPP 3.4 server that plays the carrier.

    async with Simulator(port=0) as simulator:      # or: await serve_simulator(port=2775)
        ...                                         # bind an ESME to simulator.port
        simulator.throttle(3)                       # faults on demand
        await simulator.send_inbound("+14155550100", "+15005550006", "hi")
        simulator.handset("+14155552671")           # what a handset received

It accepts binds for configured credentials, answers every submit_sm with a fresh hex
message id (or the rejection a `Rule` asks for), files the text in the destination
handset's inbox, and after `receipt_delay` sends a delivery receipt (SMPP 3.4 Appendix B)
to a receiver/transceiver bound with the same system_id. Receipts wait for such a bind
(a real SMSC stores them too) and are dropped after a few failed attempts.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import random
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, NamedTuple, Self

from smsgate.domain.encoding import Encoding, analyse, segment_payloads
from smsgate.errors import SmppError
from smsgate.simulator.handsets import HandsetMessage, Handsets
from smsgate.simulator.rules import DEFAULT_RULES, Rule, match_rule
from smsgate.smpp import (
    ESM_CLASS_UDHI,
    CommandStatus,
    DeliverSm,
    DeliveryReceipt,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    add_concat_udh,
    receipt_to_pdu,
)
from smsgate.smpp.addresses import TON_INTERNATIONAL, address_of, e164
from smsgate.smpp.concat import decode_user_data
from smsgate.smpp.esme import SmppTimeouts
from smsgate.smpp.smsc import BindRequest, SmscServer, SmscSession, SubmitAnswer
from smsgate.smpp.tlv import Tag, Tlv

__all__ = ["Concatenation", "Simulator", "SubmitRecord", "serve_simulator"]

Concatenation = Literal["udh8", "udh16", "sar"]


def _concatenated(
    payload: bytes, concatenation: Concatenation, reference: int, total: int, seqnum: int
) -> dict[str, Any]:
    """The deliver_sm fields that carry one part of a long text (3GPP TS 23.040
    §9.2.3.24.1 UDH, or SMPP 3.4 §5.3.2.22-24 sar_* TLVs)."""
    if total == 1:
        return {"short_message": payload}
    if concatenation == "sar":
        return {
            "short_message": payload,
            "tlvs": (
                Tlv.from_int(Tag.sar_msg_ref_num, reference),
                Tlv.from_int(Tag.sar_total_segments, total),
                Tlv.from_int(Tag.sar_segment_seqnum, seqnum),
            ),
        }
    return {
        "esm_class": ESM_CLASS_UDHI,
        "short_message": add_concat_udh(
            payload, reference, total, seqnum, is_16bit=concatenation == "udh16"
        ),
    }


log = logging.getLogger("smsgate.simulator")

DEFAULT_CREDENTIALS: Final[Mapping[str, str]] = {"smsgate": "secret"}
RECEIPT_ATTEMPTS: Final = 5
RECEIPT_PUMPS: Final = 4  # tasks sending receipts; each keeps a window in flight


class SubmitRecord(NamedTuple):
    """One submit_sm as the simulator saw it.

    `at` is the event loop's clock at arrival. `status` is the command_status answered
    (None while the answer is held by a fault); `message_id` is None unless accepted.
    `destination` is E.164 (with "+") when the TON said international.
    """

    pdu: SubmitSm
    system_id: str
    destination: str
    at: float
    status: int | None
    message_id: str | None


class _PendingReceipt(NamedTuple):
    system_id: str
    receipt: DeliveryReceipt
    handset: str  # source_addr of the receipt: the original destination
    esme_addr: str  # destination_addr of the receipt: the original source


def _preview(pdu: SubmitSm) -> str:
    """The receipt's text field: the first 20 characters (SMPP 3.4 Appendix B)."""
    user_data = pdu.short_message
    if pdu.esm_class & ESM_CLASS_UDHI and user_data:
        user_data = user_data[1 + user_data[0] :]
    return decode_user_data(user_data[:40], pdu.data_coding)[:20]


class Simulator:
    """An SMSC simulator on `host:port` (port 0 picks one; read `port` after start).

    Args:
        credentials: system_id -> password accepted in binds (default smsgate/secret).
            An unknown system_id is refused with ESME_RINVSYSID, a wrong password with
            ESME_RINVPASWD.
        rules: outcome by destination prefix, first match wins (see `rules`).
        receipt_delay: seconds between submit_sm_resp and the receipt (plus `Rule.delay`).
        timeouts: per session (response also bounds a receipt's delivery attempt).
        window: deliver_sm per session that may await deliver_sm_resp.

    Faults (`throttle`, `slow_responses`, `pause`, `drop_connections`) apply from the
    next submit_sm on. Counters and records only grow; nothing here is reset. `start`
    raises OSError when the port is taken, leaving nothing running; `aclose` unbinds
    every session and drops the receipts not yet delivered.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        rules: Sequence[Rule] = DEFAULT_RULES,
        receipt_delay: float = 0.0,
        timeouts: SmppTimeouts | None = None,
        window: int = 64,
        system_id: str = "smsgate-sim",
    ) -> None:
        self.credentials = dict(DEFAULT_CREDENTIALS if credentials is None else credentials)
        self.rules = tuple(rules)
        self.receipt_delay = receipt_delay
        self.timeouts = timeouts or SmppTimeouts()
        self._server = SmscServer(
            self, host=host, port=port, system_id=system_id, window=window, timeouts=self.timeouts
        )
        self._handsets = Handsets()
        self._outbox: asyncio.Queue[tuple[_PendingReceipt, int]] = asyncio.Queue()
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: asyncio.TaskGroup | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._ids = itertools.count(random.getrandbits(40))
        self._refs = itertools.count(random.getrandbits(8))
        self._watchers: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._throttle_next = 0
        self._closing = False
        self._slow = 0.0
        self._running = asyncio.Event()
        self._running.set()
        self.submits: list[SubmitRecord] = []
        self.submitted = 0  # submit_sm received, rejected ones included
        self.receipts_sent = 0  # receipts the ESME answered with ESME_ROK
        self.receipts_dropped = 0
        self.binds = 0  # bind requests received
        self.binds_refused = 0
        self.bind_times: list[float] = []

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def submit_times(self) -> list[float]:
        """Arrival time (event loop clock) of every submit_sm, in order."""
        return [record.at for record in self.submits]

    @property
    def sessions(self) -> list[SmscSession]:
        return self._server.sessions

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Listen and start delivering receipts. Call `aclose` from the same task."""
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        try:
            await self._server.start()
        except BaseException:
            await self._tasks.__aexit__(None, None, None)
            raise
        self._workers = [
            self._tasks.create_task(self._pump_receipts()) for _ in range(RECEIPT_PUMPS)
        ]

    async def aclose(self) -> None:
        """Unbind every session (bounded), stop the receipt workers; pending receipts go."""
        if self._tasks is None or self._closing:
            return
        self._closing = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        await self._server.aclose()
        for worker in self._workers:
            worker.cancel()
        tasks, self._tasks = self._tasks, None
        await tasks.__aexit__(None, None, None)

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
            self._server.drop_connections()
        await self.aclose()

    # -- faults ---------------------------------------------------------------------

    def throttle(self, next_n: int) -> None:
        """Answer the next `next_n` submit_sm with ESME_RTHROTTLED."""
        self._throttle_next = next_n

    def slow_responses(self, seconds: float) -> None:
        """Hold every submit_sm_resp `seconds` (0 to stop). Past the response timeout
        the answer becomes ESME_RSYSERR."""
        self._slow = seconds

    def pause(self) -> None:
        """Hold every submit_sm_resp until `resume` (or the response timeout)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def drop_connections(self) -> None:
        """Abort every TCP connection at once, no unbind (as a crashing SMSC would)."""
        self._server.drop_connections()

    # -- handsets -------------------------------------------------------------------

    def handset(self, number: str) -> list[HandsetMessage]:
        """What the handset `number` (E.164) received, oldest first."""
        return self._handsets.inbox(number)

    async def send_inbound(
        self,
        from_: str,
        to: str,
        body: str,
        *,
        system_id: str | None = None,
        parts: Sequence[int] | None = None,
        reference: int | None = None,
        concatenation: Concatenation = "udh8",
    ) -> tuple[int, ...]:
        """A handset `from_` texts `to`: deliver_sm (UDH-split if long) to a bound receiver.

        Waits up to `timeouts.response` for a receiver (bound with `system_id`, if given).
        `parts` sends only those parts of a long text, in that order (a network that
        reorders or loses parts); `reference` fixes the concatenation reference (0-255),
        so the rest of the text can follow in a later call. `concatenation` is how a long
        text's parts say so: a UDH with an 8- or 16-bit reference, or the sar_* TLVs.

        Returns:
            The command_status of each part's deliver_sm_resp.

        Raises:
            TimeoutError: no receiver bound in time.
            SmppError: the session ended or did not answer in time.
        """
        encoded = analyse(body, smart=False)
        payloads = segment_payloads(encoded) or (b"",)
        data_coding = 0 if encoded.encoding is Encoding.GSM7 else 8
        total = len(payloads)
        if reference is None:
            reference = next(self._refs) & (0xFF if concatenation == "udh8" else 0xFFFF)
        wanted = list(range(1, total + 1)) if parts is None else list(parts)
        if any(not 1 <= n <= total for n in wanted):
            raise ValueError(f"parts {wanted} are not all within 1..{total}")
        source_ton, source = address_of(from_)
        dest_ton, destination = address_of(to)
        async with asyncio.timeout(self.timeouts.response):
            session = await self._server.wait_receiver(system_id)
        statuses = []
        for seqnum in wanted:
            payload = payloads[seqnum - 1]
            answer = await session.deliver(
                DeliverSm(
                    sequence_number=session.next_sequence(),
                    source_addr_ton=source_ton,
                    source_addr_npi=1 if source_ton == TON_INTERNATIONAL else 0,
                    source_addr=source,
                    dest_addr_ton=dest_ton,
                    dest_addr_npi=1 if dest_ton == TON_INTERNATIONAL else 0,
                    destination_addr=destination,
                    data_coding=data_coding,
                    **_concatenated(payload, concatenation, reference, total, seqnum),
                )
            )
            statuses.append(answer.command_status)
        return tuple(statuses)

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once `predicate()` is true; re-checked after every submit, bind and
        receipt. No deadline of its own: wrap it in `asyncio.timeout`."""
        if predicate():
            return
        entry = (predicate, asyncio.get_running_loop().create_future())
        self._watchers.append(entry)
        try:
            await entry[1]
        finally:
            self._watchers.remove(entry)

    def _notify(self) -> None:
        for predicate, future in self._watchers:
            if not future.done() and predicate():
                future.set_result(None)

    # -- SmscHandler ----------------------------------------------------------------

    async def on_bind(self, session: SmscSession, bind: BindRequest) -> CommandStatus:
        self.binds += 1
        self.bind_times.append(asyncio.get_running_loop().time())
        password = self.credentials.get(bind.system_id)
        if password is None:
            status = CommandStatus.ESME_RINVSYSID
        elif bind.password != password:
            status = CommandStatus.ESME_RINVPASWD
        else:
            status = CommandStatus.ESME_ROK
        if status:
            self.binds_refused += 1
            log.info("refused %s for %r: %s", bind.command_id.name, bind.system_id, status.name)
        self._notify()
        return status

    def on_submit(
        self, session: SmscSession, pdu: SubmitSm
    ) -> SubmitAnswer | Coroutine[Any, Any, SubmitAnswer]:
        at = session.clock()
        self.submitted += 1
        if self._slow or not self._running.is_set():
            # Recorded on arrival; the record gets its answer when there is one.
            index = len(self.submits)
            destination = e164(pdu.destination_addr, pdu.dest_addr_ton)
            system_id = session.system_id or ""
            self.submits.append(SubmitRecord(pdu, system_id, destination, at, None, None))
            self._notify()
            return self._answer_later(session, pdu, at, index)
        return self._answer(session, pdu, at)

    async def _answer_later(
        self, session: SmscSession, pdu: SubmitSm, at: float, index: int
    ) -> SubmitAnswer:
        await self._running.wait()  # bounded by the session's handler timeout
        if self._slow:
            await asyncio.sleep(self._slow)  # the fault itself, not synchronisation
        return self._answer(session, pdu, at, index)

    def _answer(
        self, session: SmscSession, pdu: SubmitSm, at: float, index: int | None = None
    ) -> SubmitAnswer:
        destination = e164(pdu.destination_addr, pdu.dest_addr_ton)
        system_id = session.system_id or ""
        rule = match_rule(self.rules, destination)
        status = rule.status
        if self._throttle_next > 0:
            self._throttle_next -= 1
            status = CommandStatus.ESME_RTHROTTLED
        message_id = None if status else f"{next(self._ids):012x}"
        record = SubmitRecord(pdu, system_id, destination, at, status, message_id)
        if index is None:
            self.submits.append(record)
        else:
            self.submits[index] = record
        if message_id is None:
            self._notify()
            return status
        source = e164(pdu.source_addr, pdu.source_addr_ton)
        now = datetime.now(UTC)
        self._handsets.receive(
            sender=source,
            recipient=destination,
            short_message=pdu.short_message,
            esm_class=pdu.esm_class,
            data_coding=pdu.data_coding,
            tlvs=pdu.tlvs,
            message_id=message_id,
            at=now,
        )
        # registered_delivery bits 1-0 (SMPP 3.4 §5.2.17): 1 = receipt on success or
        # failure, 2 = on failure only.
        wanted = pdu.registered_delivery & 0x03
        delivered = rule.outcome == "delivered"
        if rule.outcome != "no_receipt" and (wanted == 1 or (wanted == 2 and not delivered)):
            receipt = DeliveryReceipt(
                message_id=message_id,
                submitted=1,
                delivered=1 if delivered else 0,
                submit_date=now,
                done_date=now,
                stat="DELIVRD" if delivered else "UNDELIV",
                err="000" if delivered else rule.err,
                text=_preview(pdu),
            )
            pending = _PendingReceipt(system_id, receipt, pdu.destination_addr, pdu.source_addr)
            self._schedule(pending, self.receipt_delay + rule.delay)
        self._notify()
        return SubmitSmResp(sequence_number=pdu.sequence_number, message_id=message_id)

    # -- receipts -------------------------------------------------------------------

    def _schedule(self, pending: _PendingReceipt, delay: float, attempt: int = 0) -> None:
        if delay <= 0:
            self._outbox.put_nowait((pending, attempt))
            return
        loop = asyncio.get_running_loop()
        if len(self._timers) > 1000:
            now = loop.time()
            self._timers = {t for t in self._timers if t.when() > now and not t.cancelled()}
        self._timers.add(loop.call_later(delay, self._outbox.put_nowait, (pending, attempt)))

    async def _pump_receipts(self) -> None:
        # Sends without waiting for each deliver_sm_resp: a whole window of receipts
        # stays in flight, and the answers arrive in _receipt_answered.
        outbox = self._outbox
        server = self._server
        while True:
            pending, attempt = await outbox.get()
            session = server.receiver(pending.system_id)
            try:
                if session is None:
                    async with asyncio.timeout(self.timeouts.response):
                        session = await server.wait_receiver(pending.system_id)
                answer = await session.start_deliver(
                    receipt_to_pdu(
                        pending.receipt,
                        source_addr=pending.handset,
                        destination_addr=pending.esme_addr,
                        sequence_number=session.next_sequence(),
                    )
                )
            except (TimeoutError, SmppError) as exc:
                self._receipt_failed(pending, attempt, repr(exc))
                continue
            answer.add_done_callback(functools.partial(self._receipt_answered, pending, attempt))

    def _receipt_answered(
        self, pending: _PendingReceipt, attempt: int, answer: asyncio.Future[Pdu]
    ) -> None:
        if answer.cancelled():
            return
        error = answer.exception()
        if error is not None:
            self._receipt_failed(pending, attempt, repr(error))
        elif answer.result().command_status:
            self._receipt_failed(pending, attempt, f"status 0x{answer.result().command_status:X}")
        else:
            self.receipts_sent += 1
            self._notify()

    def _receipt_failed(self, pending: _PendingReceipt, attempt: int, why: str) -> None:
        message_id = pending.receipt.message_id
        if attempt + 1 < RECEIPT_ATTEMPTS and not self._closing:
            log.info("receipt %s not delivered (%s); trying again", message_id, why)
            self._schedule(pending, min(0.05 * 2**attempt, 1.0), attempt + 1)
            return
        self.receipts_dropped += 1
        log.warning("receipt %s dropped after %d attempts: %s", message_id, attempt + 1, why)
        self._notify()


async def serve_simulator(
    host: str = "127.0.0.1",
    port: int = 2775,
    *,
    credentials: Mapping[str, str] | None = None,
    rules: Sequence[Rule] = DEFAULT_RULES,
    receipt_delay: float = 1.0,
    on_ready: Callable[[Simulator], None] | None = None,
) -> None:
    """Run a Simulator until cancelled (e.g. Ctrl-C under `asyncio.run`).

    Receipts follow each accepted submit_sm after `receipt_delay` seconds (1 s, to look
    like a carrier). `on_ready` is called once it listens (`port` is then the real one).
    """
    async with Simulator(
        host=host,
        port=port,
        credentials=credentials,
        rules=rules,
        receipt_delay=receipt_delay,
    ) as simulator:
        log.info("SMSC simulator listening on %s:%d", host, simulator.port)
        if on_ready is not None:
            on_ready(simulator)
        await asyncio.get_running_loop().create_future()  # until cancelled

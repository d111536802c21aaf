"""SmppConnector: the Connector protocol over one SMPP 3.4 ESME session.

    connector = SmppConnector(config, on_receipt=record_receipt, on_inbound=take_inbound)
    await connector.start()                   # binds in the background, rebinds on loss
    ids = await connector.submit(message)     # one SMSC message id per segment
    await connector.aclose()                  # graceful unbind

A message body is analysed once (GSM-7 or UCS-2, `domain.encoding`) and each segment goes
out as one submit_sm, in order, waiting for its submit_sm_resp before the next. The
connector never resubmits anything itself: a failure raises DeliveryError and the
dispatcher decides, from `retryable`, whether the message goes again later.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self

from smsgate.delivery.backoff import RetryPolicy
from smsgate.delivery.pacing import Aimd, Pacer
from smsgate.domain.encoding import Encoding, analyse, segment_payloads
from smsgate.errors import ConfigError, DeliveryError, ErrorCode
from smsgate.smpp import (
    ESM_CLASS_UDHI,
    CommandStatus,
    DataSm,
    DeliverSm,
    DeliveryReceipt,
    LocalProtocolError,
    Pdu,
    ReceiptError,
    RemoteProtocolError,
    SubmitSm,
    SubmitSmResp,
    Tag,
    Tlv,
    add_concat_udh,
    receipt_from_pdu,
)
from smsgate.smpp.addresses import (
    MAX_NUMBER_LENGTH,
    TON_ALPHANUMERIC,
    TON_INTERNATIONAL,
    TON_UNKNOWN,
    e164,
)
from smsgate.smpp.esme import (
    BindError,
    BindMode,
    EsmeSession,
    ResponseTimeout,
    SessionClosedError,
    SmppTimeouts,
    status_name,
)
from smsgate.smpp.time_format import relative_time
from smsgate.store.queue import ClaimedMessage

__all__ = ["InboundCallback", "ReceiptCallback", "SmppConnector", "SmppConnectorConfig"]

log = logging.getLogger(__name__)

ReceiptCallback = Callable[[str, DeliveryReceipt], Awaitable[None]]
"""Called as `on_receipt(connector_name, receipt)` for each delivery receipt."""
InboundCallback = Callable[[str, DeliverSm | DataSm], Awaitable[None]]
"""Called as `on_inbound(connector_name, pdu)` for each inbound message part, as it came
(a long text arrives as several deliver_sm with a concatenation UDH or sar TLVs)."""

_S = CommandStatus
_E = ErrorCode
_ESME_RINVDCS: Final = 0x00000104  # SMPP 5.0 "invalid data coding scheme"; SMSCs send it

# command_status -> (retryable, our code). The one place that decides what an SMSC's
# refusal of a submit_sm (SMPP 3.4 §5.1.3, table 5-2) means for the message: temporary
# conditions on the SMSC's side are retried, answers that say "this message, as it is,
# will never pass" fail it. Statuses not listed fail it with UNKNOWN_ERROR.
STATUS_ERRORS: Final[dict[int, tuple[bool, ErrorCode]]] = {
    # Try again later: the SMSC is busy, full or broken, or lost our bind.
    _S.ESME_RTHROTTLED: (True, _E.QUEUE_OVERFLOW),
    _S.ESME_RMSGQFUL: (True, _E.QUEUE_OVERFLOW),
    _S.ESME_RSYSERR: (True, _E.UNREACHABLE),
    _S.ESME_RINVBNDSTS: (True, _E.UNREACHABLE),
    # The destination will not take it.
    _S.ESME_RINVDSTADR: (False, _E.UNKNOWN_DESTINATION),
    _S.ESME_RINVDSTTON: (False, _E.UNKNOWN_DESTINATION),
    _S.ESME_RINVDSTNPI: (False, _E.UNKNOWN_DESTINATION),
    # The sender is refused.
    _S.ESME_RINVSRCADR: (False, _E.INVALID_FROM),
    _S.ESME_RINVSRCTON: (False, _E.INVALID_FROM),
    _S.ESME_RINVSRCNPI: (False, _E.INVALID_FROM),
    # The content is refused.
    _S.ESME_RINVMSGLEN: (False, _E.BODY_TOO_LONG),
    _S.ESME_RSUBMITFAIL: (False, _E.CARRIER_FILTERED),
    # A parameter of the submit_sm is refused (usually our configuration for this SMSC).
    _ESME_RINVDCS: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVESMCLASS: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVREGDLVFLG: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVPRTFLG: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVSERTYP: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVSCHED: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVEXPIRY: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVOPTPARSTREAM: (False, _E.INVALID_PARAMETER),
    _S.ESME_ROPTPARNOTALLWD: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVPARLEN: (False, _E.INVALID_PARAMETER),
    _S.ESME_RMISSINGOPTPARAM: (False, _E.INVALID_PARAMETER),
    _S.ESME_RINVOPTPARAMVAL: (False, _E.INVALID_PARAMETER),
}


@dataclass(frozen=True, slots=True)
class SmppConnectorConfig:
    """One carrier bind. Checked on construction (ConfigError names the bad value).

    Attributes:
        name: the connector's name (routes and logs use it).
        host, port, system_id, password, system_type: the bind (SMPP 3.4 §4.1).
        bind_mode: one transceiver bind, or a transmitter plus a receiver.
        window: submit_sm that may await submit_sm_resp; more submitters wait.
        tps: at most this many submit_sm per second (None: as fast as the window allows).
        concatenation: long messages as UDH parts ("udh") or with sar_* TLVs ("sar").
        source_ton/npi, dest_ton/npi: address type and plan (SMPP 3.4 §5.2.5-6). With TON 1
            (international) the "+" of E.164 numbers is left out; an alphanumeric
            sender always goes as TON 5, NPI 0.
        registered_delivery: 1 asks for a receipt on success and failure (§5.2.17).
        timeouts: the session's deadlines.
        reconnect_base, reconnect_cap: rebind backoff in seconds (exponential, jittered).
    """

    name: str
    host: str
    port: int
    system_id: str
    password: str = field(repr=False)
    system_type: str = ""
    bind_mode: BindMode = "transceiver"
    window: int = 64
    tps: float | None = None
    concatenation: Literal["udh", "sar"] = "udh"
    source_ton: int = 1
    source_npi: int = 1
    dest_ton: int = 1
    dest_npi: int = 1
    registered_delivery: int = 1
    timeouts: SmppTimeouts = field(default_factory=SmppTimeouts)
    reconnect_base: float = 1.0
    reconnect_cap: float = 60.0

    def __post_init__(self) -> None:
        def bad(what: str, fix: str) -> ConfigError:
            return ConfigError(f"SMPP connector {self.name!r}: {what}; {fix}.")

        if not 0 < self.port < 65536:
            raise bad(f"port is {self.port}", "use 1-65535")
        for name, value, limit in (
            ("system_id", self.system_id, 15),
            ("password", self.password, 8),
            ("system_type", self.system_type, 12),
        ):
            if len(value.encode("latin-1", "replace")) > limit:
                raise bad(f"{name} is too long", f"SMPP 3.4 allows at most {limit} characters")
        if self.bind_mode not in ("transceiver", "transmitter_receiver"):
            raise bad(f"bind_mode is {self.bind_mode!r}", "use transceiver or transmitter_receiver")
        if self.concatenation not in ("udh", "sar"):
            raise bad(f"concatenation is {self.concatenation!r}", "use udh or sar")
        if self.window < 1:
            raise bad(f"window is {self.window}", "use 1 or more")
        if self.tps is not None and not self.tps > 0:
            raise bad(f"tps is {self.tps}", "use a positive number, or None for no cap")
        for name in ("source_ton", "source_npi", "dest_ton", "dest_npi", "registered_delivery"):
            if not 0 <= getattr(self, name) <= 255:
                raise bad(f"{name} is {getattr(self, name)}", "use 0-255")
        if not 0 < self.reconnect_base <= self.reconnect_cap:
            raise bad(
                f"reconnect_base {self.reconnect_base} / reconnect_cap {self.reconnect_cap}",
                "use 0 < reconnect_base <= reconnect_cap",
            )


_PUSHBACK: Final = frozenset({CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL})
# A part after the first that meets pushback is tried again in place (same reference,
# same position) this many times, so the parts of a message stay together and in order.
_PART_RETRIES: Final = 6
_PART_RETRY = RetryPolicy(0.05, 2.0)
# Failover: this many failed submits in a row (the link, not the message, at fault)
# make the connector "failing" for FAILING_FOR seconds; then it is tried again.
FAILING_AFTER: Final = 3
FAILING_FOR: Final = 10.0


class SmppConnector:
    """A Connector that submits over an SMPP bind and keeps that bind alive.

    Args:
        config: the bind and its settings.
        on_receipt: awaited for each delivery receipt; on_inbound: for each other
            deliver_sm/data_sm. Each is answered ESME_ROK, or ESME_RX_T_APPN if the
            callback raised or overran the response timeout (the SMSC delivers again).
            A receipt that names no message id is answered ESME_RX_P_APPN and dropped.
        rng: jitter source for the reconnect backoff (tests pass a seeded one).
        throttle_recovery: after pushback, the share of the full rate regained a second.

    `start()` returns at once and binds in the background; a lost or refused bind is
    retried with exponential backoff and jitter (capped at `reconnect_cap`) until
    `aclose()`. While unbound, `submit` raises a retryable DeliveryError and
    `last_error` says why. Live state: `is_bound`, `window_in_use`, `submitted`
    (submit_sm accepted), `errors` (submits that raised), `binds`, `bind_failures`,
    and `state()` for the API.

    Pace: submit_sm go at most `tps` a second (a token bucket holding one token), and at
    most `window` await their answer. SMSC pushback (ESME_RTHROTTLED, ESME_RMSGQFUL)
    halves both through `aimd`; they grow back gradually (see `delivery.pacing`).
    """

    def __init__(
        self,
        config: SmppConnectorConfig,
        *,
        on_receipt: ReceiptCallback,
        on_inbound: InboundCallback,
        rng: random.Random | None = None,
        throttle_recovery: float = 0.1,
    ) -> None:
        self.name = config.name
        self.config = config
        self._on_receipt = on_receipt
        self._on_inbound = on_inbound
        self._rng = rng or random.Random()
        self._policy = RetryPolicy(config.reconnect_base, config.reconnect_cap)
        self.aimd = Aimd(recovery=throttle_recovery)
        self._pacer = None if config.tps is None else Pacer(self._current_tps)
        self._window = asyncio.Condition()
        self._outstanding = 0
        self._sent_at: deque[float] = deque()
        self._failed_at: deque[float] = deque()
        self._failures_in_a_row = 0
        self._failing_since = 0.0
        self._references = itertools.count(self._rng.getrandbits(16))
        self._session: EsmeSession | None = None
        self._bound = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._waiting_for_window = 0
        self.pushbacks = 0
        self.submitted = 0
        self.errors = 0
        self.binds = 0
        self.bind_failures = 0
        self.last_error: str | None = None

    def __repr__(self) -> str:
        return f"SmppConnector({self.name!r}, {self.config.host}:{self.config.port})"

    @property
    def is_bound(self) -> bool:
        return self._session is not None and self._session.is_bound

    @property
    def window_in_use(self) -> int:
        return 0 if self._session is None else self._session.window_in_use

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    @property
    def is_available(self) -> bool:
        """Bound, and not failing: routes hand a message to the first available connector."""
        if not self.is_bound:
            return False
        if self._failures_in_a_row < FAILING_AFTER:
            return True
        return self._now() - self._failing_since >= FAILING_FOR

    def window_limit(self, now: float) -> int:
        return self.aimd.window(self.config.window, now)

    def _current_tps(self) -> float:
        return self.tps_limit(self._now()) or 1.0

    def tps_limit(self, now: float) -> float | None:
        if self.config.tps is None:
            return None
        return self.config.tps * self.aimd.factor(now)

    def state(self) -> dict[str, Any]:
        """Live state for `GET /v1/connectors`."""
        now = self._now()
        _trim(self._sent_at, now - 1.0)
        _trim(self._failed_at, now - 60.0)
        session = self._session
        waiting = (self._pacer.waiting if self._pacer else 0) + (session.waiting if session else 0)
        limit = self.tps_limit(now)
        return {
            "bound": self.is_bound,
            "available": self.is_available,
            "window_in_use": self.window_in_use,
            "window_limit": self.window_limit(now),
            "tps": len(self._sent_at),
            "tps_limit": None if limit is None else round(limit, 3),
            "queue_depth": waiting + self._waiting_for_window,
            "errors_last_minute": len(self._failed_at),
            "submitted": self.submitted,
            "pushbacks": self.pushbacks,
            "last_error": self.last_error,
        }

    async def start(self) -> None:
        """Start binding in the background. Call `aclose()` from the same task."""
        if self._tasks is not None:
            return
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        self._supervisor = self._tasks.create_task(self._supervise())

    async def aclose(self) -> None:
        """Unbind gracefully (outstanding submits finish first, each step bounded by
        `timeouts.unbind`) and stop rebinding. Safe to call twice."""
        if self._tasks is None:
            return
        self._stop.set()
        session = self._session
        if session is not None:
            await session.aclose()
        elif self._supervisor is not None:
            self._supervisor.cancel()  # connecting or backing off: nothing to finish
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
        await self.aclose()

    async def wait_bound(self) -> None:
        """Return once bound. No deadline of its own: wrap it in `asyncio.timeout`."""
        await self._bound.wait()

    # -- submitting -----------------------------------------------------------------

    async def submit(self, message: ClaimedMessage) -> tuple[str, ...]:
        """Submit every segment of `message`, in order; return the SMSC's message ids.

        Raises:
            DeliveryError: retryable when unbound, the bind dropped, no answer came in
                time, or the SMSC said to try later (ESME_RTHROTTLED, ...); not
                retryable when the SMSC refused the message itself (see STATUS_ERRORS).
                Parts accepted before a failure are named in `detail`.
        """
        config = self.config
        session = self._session
        if session is None or not session.is_bound:
            if self._stop.is_set():
                why = "it is closing"
            else:
                why = self.last_error or "it is still connecting"
            raise self._failed(
                f"SMPP connector {self.name!r} is not bound to {config.host}:{config.port}"
                f" ({why}); the message can be tried again later.",
                retryable=True,
                code=ErrorCode.UNREACHABLE,
            )
        encoded = analyse(message.body)
        payloads = segment_payloads(encoded) or (b"",)
        data_coding = 0 if encoded.encoding is Encoding.GSM7 else 8  # SMPP 3.4 §5.2.19
        total = len(payloads)
        reference = 0
        if total > 1:  # one reference for all parts of this message
            reference = next(self._references) & (0xFF if config.concatenation == "udh" else 0xFFFF)
        source_ton, source_npi, source = self._source(message.from_)
        destination = message.to
        if config.dest_ton == TON_INTERNATIONAL:
            destination = destination.removeprefix("+")
        # What is left of the message's validity, so the SMSC stops trying when we would.
        left = math.ceil((message.expires_at - datetime.now(UTC)).total_seconds())
        validity_period = relative_time(max(1, left))
        ids: list[str] = []
        for seqnum, payload in enumerate(payloads, 1):
            esm_class = 0
            short_message = payload
            tlvs: tuple[Tlv, ...] = ()
            if total > 1 and config.concatenation == "udh":
                esm_class = ESM_CLASS_UDHI  # SMPP 3.4 §5.2.12; 23.040 §9.2.3.24.1
                short_message = add_concat_udh(payload, reference, total, seqnum, is_16bit=False)
            elif total > 1:  # SMPP 3.4 §5.3.2.22-24
                tlvs = (
                    Tlv.from_int(Tag.sar_msg_ref_num, reference),
                    Tlv.from_int(Tag.sar_total_segments, total),
                    Tlv.from_int(Tag.sar_segment_seqnum, seqnum),
                )

            def submit_sm(
                sequence_number: int,
                esm_class: int = esm_class,
                short_message: bytes = short_message,
                tlvs: tuple[Tlv, ...] = tlvs,
            ) -> SubmitSm:
                return SubmitSm(
                    sequence_number=sequence_number,
                    source_addr_ton=source_ton,
                    source_addr_npi=source_npi,
                    source_addr=source,
                    dest_addr_ton=config.dest_ton,
                    dest_addr_npi=config.dest_npi,
                    destination_addr=destination,
                    esm_class=esm_class,
                    validity_period=validity_period,
                    registered_delivery=config.registered_delivery,
                    data_coding=data_coding,
                    short_message=short_message,
                    tlvs=tlvs,
                )

            for retry in range(_PART_RETRIES + 1):
                answer = await self._submit_part(session, message, (seqnum, total), ids, submit_sm)
                if answer.command_status not in _PUSHBACK:
                    break
                self._pushed_back()
                if seqnum == 1 or retry == _PART_RETRIES:
                    break  # nothing accepted yet: the dispatcher retries it whole, later
                await asyncio.sleep(_PART_RETRY.delay(retry + 1, self._rng))
            if answer.command_status or not isinstance(answer, SubmitSmResp):
                raise self._refused(message, answer.command_status, seqnum, ids)
            ids.append(answer.message_id)
            self.submitted += 1
            now = self._now()
            self._sent_at.append(now)
            _trim(self._sent_at, now - 1.0)
        self._failures_in_a_row = 0
        return tuple(ids)

    async def _submit_part(
        self,
        session: EsmeSession,
        message: ClaimedMessage,
        part: tuple[int, int],
        ids: list[str],
        build: Callable[[int], SubmitSm],
    ) -> Pdu:
        seqnum, total = part
        if self._pacer is not None:
            await self._pacer.wait()
        async with self._window:
            self._waiting_for_window += 1
            try:
                await self._window.wait_for(
                    lambda: self._outstanding < self.window_limit(self._now())
                )
            finally:
                self._waiting_for_window -= 1
            self._outstanding += 1
        try:
            try:
                return await session.submit(build(session.next_sequence()))
            except LocalProtocolError as exc:  # refused before sending: a field is invalid
                raise self._refused(message, exc.status, seqnum, ids, exc.message) from exc
            except (SessionClosedError, ResponseTimeout, RemoteProtocolError) as exc:
                if isinstance(exc, SessionClosedError) and not exc.sent:
                    outcome = "It was not sent and can be tried again."
                else:
                    outcome = "Its outcome is unknown; it can be tried again."
                self._link_failed()
                raise self._failed(
                    f"SMPP connector {self.name!r} lost part {seqnum} of {total} of the message"
                    f" to {message.to}: {exc}{_accepted(ids)} {outcome}",
                    retryable=True,
                    code=ErrorCode.UNREACHABLE,
                ) from exc
        finally:
            async with self._window:
                self._outstanding -= 1
                self._window.notify_all()

    def _pushed_back(self) -> None:
        self.pushbacks += 1
        now = self._now()
        if self.aimd.pushback(now):
            log.warning(
                "SMPP connector %r: the SMSC pushes back; slowing to %s tps, window %d",
                self.name,
                "-" if self.config.tps is None else f"{self.tps_limit(now):.2f}",
                self.window_limit(now),
            )

    def _link_failed(self) -> None:
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= FAILING_AFTER:
            self._failing_since = self._now()

    def _failed(
        self,
        detail: str,
        *,
        retryable: bool,
        code: ErrorCode,
        carrier_code: int | None = None,
        carrier_text: str | None = None,
    ) -> DeliveryError:
        self.errors += 1
        now = self._now()
        self._failed_at.append(now)
        _trim(self._failed_at, now - 60.0)
        return DeliveryError(
            detail,
            retryable=retryable,
            code=code,
            carrier_code=carrier_code,
            carrier_text=carrier_text,
        )

    def _source(self, sender: str) -> tuple[int, int, str]:
        config = self.config
        if not sender.removeprefix("+").isdigit():
            return TON_ALPHANUMERIC, 0, sender
        if not sender.startswith("+"):  # a short code: a national number, not international
            return TON_UNKNOWN, 0, sender
        if config.source_ton == TON_INTERNATIONAL:
            sender = sender.removeprefix("+")
        return config.source_ton, config.source_npi, sender

    def _refused(
        self,
        message: ClaimedMessage,
        status: int,
        seqnum: int,
        accepted: list[str],
        reason: str | None = None,
    ) -> DeliveryError:
        retryable, code = STATUS_ERRORS.get(status, (False, ErrorCode.UNKNOWN_ERROR))
        if status == CommandStatus.ESME_ROK:  # a generic_nack without a status
            retryable, code = True, ErrorCode.UNREACHABLE
        said = (reason or f"the SMSC answered {status_name(status)}").rstrip(".")
        then = "It can be tried again later." if retryable else "It will not pass as it is."
        return self._failed(
            f"SMPP connector {self.name!r} could not submit part {seqnum} of the message to"
            f" {message.to}: {said}.{_accepted(accepted)} {then}",
            retryable=retryable,
            code=code,
            carrier_code=status,
            carrier_text=status_name(status),
        )

    # -- the bind -------------------------------------------------------------------

    async def _supervise(self) -> None:
        config = self.config
        failures = 0
        while not self._stop.is_set():  # each pass binds once; backoff in between
            session = EsmeSession(
                config.host,
                config.port,
                system_id=config.system_id,
                password=config.password,
                system_type=config.system_type,
                bind_mode=config.bind_mode,
                window=config.window,
                timeouts=config.timeouts,
                on_deliver=self._on_deliver,
            )
            try:
                async with session:
                    self._session = session
                    self.binds += 1
                    failures = 0
                    self.last_error = None
                    self._bound.set()
                    await session.wait_closed()  # bounded by the keepalive
                    self.last_error = f"the bind ended: {session.close_reason}"
            except BindError as exc:
                self.bind_failures += 1
                self.last_error = exc.message
            finally:
                self._session = None
                self._bound.clear()
            if self._stop.is_set():
                return
            failures += 1
            delay = self._policy.delay(failures, self._rng)
            log.warning(
                "SMPP connector %r: %s Rebinding in %.2f s (attempt %d).",
                self.name,
                self.last_error,
                delay,
                failures,
            )
            try:
                async with asyncio.timeout(delay):
                    await self._stop.wait()
            except TimeoutError:
                continue

    async def _on_deliver(self, pdu: DeliverSm | DataSm) -> CommandStatus:
        try:
            receipt = receipt_from_pdu(pdu)
        except ReceiptError as exc:
            log.warning("SMPP connector %r: dropping a receipt: %s", self.name, exc)
            return CommandStatus.ESME_RX_P_APPN
        if receipt is None:
            refusal = _unstorable_address(pdu)
            if refusal is not None:
                log.warning(
                    "SMPP connector %r: refusing an inbound message from %r to %r: an address "
                    "longer than an E.164 number",
                    self.name,
                    pdu.source_addr,
                    pdu.destination_addr,
                )
                return refusal
        try:
            if receipt is not None:
                await self._on_receipt(self.name, receipt)
            else:
                await self._on_inbound(self.name, pdu)
        except Exception:
            log.exception("SMPP connector %r: handling a deliver_sm failed", self.name)
            return CommandStatus.ESME_RX_T_APPN
        return CommandStatus.ESME_ROK


def _unstorable_address(pdu: DeliverSm | DataSm) -> CommandStatus | None:
    """A permanent refusal for an inbound message whose address no number can have, so the
    SMSC stops offering it (a temporary one would have it retried for ever)."""
    if len(e164(pdu.source_addr, pdu.source_addr_ton)) > MAX_NUMBER_LENGTH:
        return CommandStatus.ESME_RINVSRCADR
    if len(e164(pdu.destination_addr, pdu.dest_addr_ton)) > MAX_NUMBER_LENGTH:
        return CommandStatus.ESME_RINVDSTADR
    return None


def _trim(times: deque[float], before: float) -> None:
    while times and times[0] < before:
        times.popleft()


def _accepted(ids: list[str]) -> str:
    if not ids:
        return ""
    return f" Parts 1-{len(ids)} were accepted as {', '.join(ids)}."

"""One SMPP session, sans I/O: bytes in, events out; PDUs in, bytes out.

    conn = Connection(Role.ESME)
    writer.write(conn.send(BindTransceiver(system_id="gw", password="secret")))
    conn.receive_data(await reader.read(65536))
    while (event := conn.next_event()) is not NEED_DATA:
        ...  # a Pdu, or PduRejected: send event.reply if it is not None

The connection tracks the bind state (the table in `_state`), sequence numbers, and the
window of our requests still waiting for a response. It never reads a clock: `send` and
`expired` take `now` from the caller, in whatever monotonic unit the caller uses.
Both roles share the class, so the simulator's SMSC and our ESME run the same rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from smsgate.smpp._framing import DEFAULT_MAX_PDU_SIZE, FrameBuffer
from smsgate.smpp._state import UNANSWERED, Role, State, next_state, refusal_status
from smsgate.smpp.errors import (
    BindStateError,
    FramingError,
    LocalProtocolError,
    PduDecodeError,
    ProtocolError,
    RemoteProtocolError,
)
from smsgate.smpp.pdu import RESPONSE_CLASSES, GenericNack, Pdu, decode, encode
from smsgate.smpp.status import RESPONSE_BIT, CommandId, CommandStatus

__all__ = [
    "NEED_DATA",
    "Connection",
    "Event",
    "NeedData",
    "PduRejected",
    "Role",
    "State",
    "error_response",
]

MAX_SEQUENCE_NUMBER: Final = 0x7FFFFFFF  # SMPP 3.4 §3.2: 0x00000001-0x7FFFFFFF

# Session upkeep must get through a window full of submits: a keepalive that cannot
# be sent would drop the bind, and a full window must not block a graceful shutdown.
_WINDOW_EXEMPT: Final = frozenset({CommandId.enquire_link, CommandId.unbind})


class NeedData(Enum):
    """`next_event` has nothing until more bytes are passed to `receive_data`."""

    NEED_DATA = "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA


@dataclass(frozen=True, slots=True)
class PduRejected:
    """Event: the peer sent something we do not accept. The session stays up.

    Attributes:
        error: why. A PduDecodeError (undecodable PDU), a BindStateError (a request
            not allowed in this bind state) or a RemoteProtocolError (a response that
            matches none of our requests, or answers one with the wrong command).
        pdu: the decoded PDU, when decoding got that far.
        request: our outstanding request this answer freed, if it matched one; fail it.
        reply: the `*_resp` or generic_nack to send back, or None when the offending
            PDU was itself a response (responses are never answered).
    """

    error: RemoteProtocolError
    pdu: Pdu | None = None
    request: Pdu | None = None
    reply: Pdu | None = None


Event = Pdu | PduRejected | Literal[NeedData.NEED_DATA]
"""What `next_event` returns."""


def error_response(pdu_or_error: Pdu | ProtocolError, status: CommandStatus | None = None) -> Pdu:
    """Build the PDU that refuses a request: its `*_resp`, or generic_nack.

    generic_nack answers what has no usable header (ESME_RINVCMDLEN, ESME_RINVCMDID,
    SMPP 3.4 §4.3) and requests that have no response (outbind, alert_notification).

    Args:
        pdu_or_error: the request to refuse, or the error its decoding or state check
            raised (its `status`, `sequence_number` and `command_id` are used).
        status: the command_status to send; defaults to the error's status, or to
            ESME_RSYSERR for a PDU.

    Returns:
        The response PDU, with the request's sequence_number (0 if it was unreadable).

    Raises:
        LocalProtocolError: the thing to refuse is a response, or `status` is ESME_ROK.
    """
    if isinstance(pdu_or_error, Pdu):
        command_id: int | None = pdu_or_error.command_id
        sequence_number = pdu_or_error.sequence_number
        default = CommandStatus.ESME_RSYSERR
    else:
        command_id = pdu_or_error.command_id
        sequence_number = pdu_or_error.sequence_number or 0
        default = pdu_or_error.status
    if status is None:
        status = default
    elif status == CommandStatus.ESME_ROK:
        raise LocalProtocolError("An error response needs a non-zero status; got ESME_ROK.")
    if command_id is not None and command_id & RESPONSE_BIT:
        raise LocalProtocolError(
            f"command_id 0x{command_id:08X} is a response; responses are never answered."
        )
    cls: type[Pdu] = GenericNack
    if command_id is not None and status not in _HEADER_STATUSES:
        cls = RESPONSE_CLASSES.get(command_id, GenericNack)
    return cls(sequence_number=sequence_number, command_status=status)


_HEADER_STATUSES: Final = frozenset({CommandStatus.ESME_RINVCMDLEN, CommandStatus.ESME_RINVCMDID})


class Connection:
    """The state of one SMPP session, for either end.

    Args:
        role: which end we are (Role.ESME or Role.SMSC).
        window: how many of our requests may wait for a response at once.
        max_pdu_size: the largest command_length accepted from the peer.
    """

    def __init__(
        self, role: Role, *, window: int = 64, max_pdu_size: int = DEFAULT_MAX_PDU_SIZE
    ) -> None:
        if window < 1:
            raise ValueError(f"window is {window}; it must be at least 1.")
        self.role: Final = role
        self.window: Final = window
        self._peer: Final = role.peer
        self._state = State.OPEN
        self._frames = FrameBuffer(max_pdu_size)
        self._sequence = 0
        # sequence_number -> (request, the `now` it was sent at); insertion-ordered.
        self._outstanding: dict[int, tuple[Pdu, float | None]] = {}

    @property
    def state(self) -> State:
        """The bind state (OPEN, BOUND_TX, BOUND_RX, BOUND_TRX or CLOSED)."""
        return self._state

    @property
    def outstanding(self) -> int:
        """How many of our requests are waiting for a response."""
        return len(self._outstanding)

    @property
    def window_full(self) -> bool:
        """True when `send` would refuse a windowed request (all but enquire_link/unbind)."""
        return len(self._outstanding) >= self.window

    @property
    def outstanding_requests(self) -> list[Pdu]:
        """Our requests still waiting for a response, oldest first."""
        return [request for request, _ in self._outstanding.values()]

    def next_sequence(self) -> int:
        """Reserve the next sequence_number: 1..0x7FFFFFFF, then wrapping to 1.

        Numbers still outstanding are skipped. Call it to know a request's number
        before `send` (which calls it itself for a sequence_number of 0).
        """
        while True:
            self._sequence = self._sequence % MAX_SEQUENCE_NUMBER + 1
            if self._sequence not in self._outstanding:
                return self._sequence

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket. Call `next_event` until it returns NEED_DATA."""
        self._frames.add_data(data)

    def next_event(self) -> Event:
        """Return the next thing the peer did.

        Returns:
            NEED_DATA when no whole PDU is buffered; else a decoded `Pdu` the peer may
            send in this state (a request, or a response to one of ours, which frees
            its window slot); else `PduRejected` describing what was wrong and what to
            reply. A bind_*_resp with ESME_ROK, unbind and unbind_resp change `state`.

        Raises:
            FramingError: command_length is below 16 or above max_pdu_size. The state
                becomes CLOSED and every later call raises again: close the socket,
                optionally after sending `error_response(exc)`.
        """
        try:
            frame = self._frames.next_frame()
        except FramingError:
            self._state = State.CLOSED
            raise
        if frame is None:
            return NEED_DATA
        try:
            pdu = decode(frame)
        except PduDecodeError as exc:
            return self._undecodable(exc)
        if pdu.command_id & RESPONSE_BIT:
            return self._receive_response(pdu)
        after = next_state(self._state, self._peer, pdu.command_id, pdu.command_status)
        if after is None:
            error = BindStateError(
                f"The {self._peer.value} may not send {pdu.command_id.name} in state"
                f" {self._state.value} (SMPP 3.4 §2.3).",
                refusal_status(self._state, pdu.command_id),
                sequence_number=pdu.sequence_number,
                command_id=pdu.command_id,
            )
            return PduRejected(error, pdu=pdu, reply=error_response(error))
        self._state = after
        return pdu

    def send(self, pdu: Pdu, *, now: float | None = None) -> bytes:
        """Check and encode a PDU we are about to write.

        Args:
            pdu: the PDU. A request with sequence_number 0 gets `next_sequence()`;
                a response keeps the sequence_number of the request it answers.
            now: the caller's clock, recorded for `expired`. A request sent without
                `now` never expires.

        Returns:
            The bytes to write. A request now counts as outstanding until its
            response arrives or `expired` returns it.

        Raises:
            LocalProtocolError: our role may not send this PDU in this state (status
                ESME_RINVBNDSTS/ESME_RALYBND), the window is full (ESME_RTHROTTLED),
                the sequence_number is out of range or already outstanding, or the
                PDU does not encode. Nothing changed: state and window are as before.
        """
        command_id = pdu.command_id
        after = next_state(self._state, self.role, command_id, pdu.command_status)
        if after is None:
            raise LocalProtocolError(
                f"The {self.role.value} may not send {command_id.name} in state"
                f" {self._state.value} (SMPP 3.4 §2.3).",
                refusal_status(self._state, command_id),
                sequence_number=pdu.sequence_number,
                command_id=command_id,
            )
        if command_id & RESPONSE_BIT:
            data = encode(pdu)
            self._state = after
            return data
        tracked = command_id not in UNANSWERED
        if tracked and command_id not in _WINDOW_EXEMPT and self.window_full:
            raise LocalProtocolError(
                f"The window is full: {len(self._outstanding)} requests await a response."
                " Wait for one (or for `expired`) before sending another.",
                CommandStatus.ESME_RTHROTTLED,
                command_id=command_id,
            )
        sequence_number = pdu.sequence_number
        if sequence_number == 0:
            pdu = dataclasses.replace(pdu, sequence_number=self.next_sequence())
        elif not 0 < sequence_number <= MAX_SEQUENCE_NUMBER or (
            tracked and sequence_number in self._outstanding
        ):
            raise LocalProtocolError(
                f"sequence_number {sequence_number} is outside 1-0x7FFFFFFF or already"
                " awaits a response; use next_sequence().",
                sequence_number=sequence_number,
                command_id=command_id,
            )
        data = encode(pdu)
        if tracked:
            self._outstanding[pdu.sequence_number] = (pdu, now)
        self._state = after
        return data

    def expired(self, now: float, timeout: float) -> list[Pdu]:
        """Remove and return our requests sent more than `timeout` before `now`.

        Their window slots are freed; a response that still arrives for one of them
        becomes a PduRejected (unknown sequence_number). Requests sent without `now`
        never expire.
        """
        stale = [
            request
            for request, sent in self._outstanding.values()
            if sent is not None and now - sent > timeout
        ]
        for request in stale:
            del self._outstanding[request.sequence_number]
        return stale

    def _receive_response(self, pdu: Pdu) -> Event:
        entry = self._outstanding.pop(pdu.sequence_number, None)
        if entry is None:
            error = RemoteProtocolError(
                f"{pdu.command_id.name} has sequence_number {pdu.sequence_number}, which"
                " matches no request of ours that awaits a response.",
                sequence_number=pdu.sequence_number,
                command_id=pdu.command_id,
            )
            return PduRejected(error, pdu=pdu)
        request = entry[0]
        expected = request.command_id | RESPONSE_BIT
        if pdu.command_id not in (expected, CommandId.generic_nack):
            error = RemoteProtocolError(
                f"{pdu.command_id.name} answers our {request.command_id.name}"
                f" (sequence_number {pdu.sequence_number}); expected"
                f" {CommandId(expected).name} or generic_nack.",
                sequence_number=pdu.sequence_number,
                command_id=pdu.command_id,
            )
            return PduRejected(error, pdu=pdu, request=request)
        after = next_state(self._state, self._peer, pdu.command_id, pdu.command_status)
        if after is not None:
            self._state = after
        return pdu

    def _undecodable(self, error: PduDecodeError) -> PduRejected:
        command_id = error.command_id
        if command_id is not None and command_id & RESPONSE_BIT:
            entry = (
                None
                if error.sequence_number is None
                else self._outstanding.pop(error.sequence_number, None)
            )
            return PduRejected(error, request=None if entry is None else entry[0])
        return PduRejected(error, reply=error_response(error))

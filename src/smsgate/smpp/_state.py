"""The bind state machine of one SMPP session, as a table.

Theory of operation
-------------------
An SMPP 3.4 session (§2.2) is one TCP connection between an ESME and an SMSC. Both
ends agree on a single session state, so one machine serves both: it is keyed by
(state, who sends the PDU, command_id) and the same table judges what we send and what
we receive. `Connection` asks it before every send and after every receive.

States (§2.2): OPEN (connected, not bound), BOUND_TX, BOUND_RX, BOUND_TRX, and CLOSED
(an unbind was sent or received; the socket is about to go).

Rule 1 -- binding. Only the ESME binds, and only in OPEN (§4.1). The request leaves
    the state alone; the SMSC's bind_*_resp with ESME_ROK moves OPEN to the matching
    BOUND_* state, and one with an error status leaves it OPEN. A bind on a bound
    session is refused with ESME_RALYBND rather than ESME_RINVBNDSTS.
Rule 2 -- outbind. Only the SMSC sends outbind, and only in OPEN (§4.1.7). The ESME
    answers with a bind, not with a response.
Rule 3 -- who may send what (§2.3, table 2-1). TX means BOUND_TX or BOUND_TRX; RX means
    BOUND_RX or BOUND_TRX:
        submit_sm, query_sm, replace_sm, cancel_sm, submit_multi  ESME, in TX
        data_sm                                                   ESME in TX, SMSC in RX
        deliver_sm, alert_notification                            SMSC, in RX
        enquire_link, unbind                                      either, in any bound state
Rule 4 -- unbind. unbind, sent or received, moves any bound state to CLOSED (§4.2).
    Nothing new may start in CLOSED, but the responses still in flight may arrive.
Rule 5 -- responses. The other side answers a request in the states the request was
    allowed in, and in CLOSED (it may have crossed our unbind on the wire). Whether a
    response matches one of our requests is the connection's business, not the table's.
    A response with an error status is allowed in every state and changes nothing: it
    may refuse a request that arrived in the wrong state (say deliver_sm_resp with
    ESME_RINVBNDSTS on a transmitter session), and a refused bind never binds. (Our own
    unbind already moved us to CLOSED, so an error unbind_resp has nothing to change.)
Rule 6 -- generic_nack. Either side may send it in any state: it answers PDUs too
    broken to have a state (§4.3). Table 2-1 lists bound states only; we are lenient
    so that garbage received in OPEN can still be answered.

Anything the table lacks is a protocol error: the connection raises LocalProtocolError
for our own sends and answers the peer's requests with ESME_RINVBNDSTS (or RALYBND).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Final

from smsgate.smpp.status import RESPONSE_BIT, CommandId, CommandStatus


class Role(Enum):
    """Which end of the session a `Connection` speaks for."""

    ESME = "ESME"
    SMSC = "SMSC"

    @property
    def peer(self) -> Role:
        """The other end."""
        return Role.SMSC if self is Role.ESME else Role.ESME


class State(Enum):
    """Bind state of a session (SMPP 3.4 §2.2)."""

    OPEN = "OPEN"
    BOUND_TX = "BOUND_TX"
    BOUND_RX = "BOUND_RX"
    BOUND_TRX = "BOUND_TRX"
    CLOSED = "CLOSED"


_ID = CommandId
_TX: Final = (State.BOUND_TX, State.BOUND_TRX)
_RX: Final = (State.BOUND_RX, State.BOUND_TRX)
_BOUND: Final = (State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX)

# Rules 1-4: (command, sender, states it may be sent in, state after it; None = unchanged)
_REQUESTS: Final[tuple[tuple[CommandId, Role, tuple[State, ...], State | None], ...]] = (
    (_ID.bind_transmitter, Role.ESME, (State.OPEN,), None),
    (_ID.bind_receiver, Role.ESME, (State.OPEN,), None),
    (_ID.bind_transceiver, Role.ESME, (State.OPEN,), None),
    (_ID.outbind, Role.SMSC, (State.OPEN,), None),
    (_ID.submit_sm, Role.ESME, _TX, None),
    (_ID.query_sm, Role.ESME, _TX, None),
    (_ID.replace_sm, Role.ESME, _TX, None),
    (_ID.cancel_sm, Role.ESME, _TX, None),
    (_ID.submit_multi, Role.ESME, _TX, None),
    (_ID.data_sm, Role.ESME, _TX, None),
    (_ID.data_sm, Role.SMSC, _RX, None),
    (_ID.deliver_sm, Role.SMSC, _RX, None),
    (_ID.alert_notification, Role.SMSC, _RX, None),
    (_ID.enquire_link, Role.ESME, _BOUND, None),
    (_ID.enquire_link, Role.SMSC, _BOUND, None),
    (_ID.unbind, Role.ESME, _BOUND, State.CLOSED),
    (_ID.unbind, Role.SMSC, _BOUND, State.CLOSED),
)

# Rule 1: the state a bind_*_resp with ESME_ROK leads to.
BIND_RESULTS: Final[dict[int, State]] = {
    _ID.bind_transmitter_resp: State.BOUND_TX,
    _ID.bind_receiver_resp: State.BOUND_RX,
    _ID.bind_transceiver_resp: State.BOUND_TRX,
}

# Requests that never get a response (§4.1.7, §4.12).
UNANSWERED: Final = frozenset({_ID.outbind, _ID.alert_notification})


def _build() -> dict[tuple[State, Role, int], State]:
    table: dict[tuple[State, Role, int], State] = {}

    def allow(states: Iterable[State], sender: Role, command: int, after: State | None) -> None:
        for state in states:
            table[state, sender, command] = after or state

    for command, sender, states, after in _REQUESTS:
        allow(states, sender, command, after)
        if command in UNANSWERED:
            continue
        response = command | RESPONSE_BIT
        # Rule 5, with rule 1 for bind_*_resp and rule 4 for unbind_resp.
        after = State.CLOSED if command == _ID.unbind else BIND_RESULTS.get(response)
        allow(states, sender.peer, response, after)
        allow((State.CLOSED,), sender.peer, response, State.CLOSED)
    for state in State:  # Rule 6
        for sender in Role:
            allow((state,), sender, _ID.generic_nack, None)
    return table


TRANSITIONS: Final = _build()
"""(state, sender, command_id) -> state after. Missing keys are protocol errors."""


def next_state(state: State, sender: Role, command_id: int, command_status: int) -> State | None:
    """The state after `sender` sends `command_id` in `state`, or None if not allowed.

    A response with a non-zero `command_status` is allowed in every state and leaves
    it unchanged, so a refused bind never binds (rules 1 and 5).
    """
    if command_status and command_id & RESPONSE_BIT:
        return state
    return TRANSITIONS.get((state, sender, command_id))


def refusal_status(state: State, command_id: int) -> CommandStatus:
    """The command_status that refuses `command_id` in `state` (SMPP 3.4 §5.1.3)."""
    if state in _BOUND and command_id in (
        _ID.bind_transmitter,
        _ID.bind_receiver,
        _ID.bind_transceiver,
    ):
        return CommandStatus.ESME_RALYBND
    return CommandStatus.ESME_RINVBNDSTS

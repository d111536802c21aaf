from __future__ import annotations

import struct

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from smsgate.smpp import pdu as p
from smsgate.smpp.connection import (
    NEED_DATA,
    Connection,
    PduRejected,
    Role,
    State,
    error_response,
)
from smsgate.smpp.errors import (
    BindStateError,
    FramingError,
    LocalProtocolError,
    PduDecodeError,
    RemoteProtocolError,
)
from smsgate.smpp.receipt import DeliveryReceipt, receipt_from_pdu, receipt_to_pdu
from smsgate.smpp.status import RESPONSE_BIT, CommandId, CommandStatus

S = CommandStatus


def drain(conn: Connection) -> list[p.Pdu | PduRejected]:
    events: list[p.Pdu | PduRejected] = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


class ConnectionPair:
    """An ESME and an SMSC wired together in memory (h11's ConnectionPair)."""

    def __init__(self, window: int = 64) -> None:
        self.esme = Connection(Role.ESME, window=window)
        self.smsc = Connection(Role.SMSC, window=window)

    def send(
        self, sender: Connection, pdu: p.Pdu, now: float | None = None
    ) -> list[p.Pdu | PduRejected]:
        receiver = self.smsc if sender is self.esme else self.esme
        receiver.receive_data(sender.send(pdu, now=now))
        return drain(receiver)

    def bind(self, cls: type[p.Pdu] = p.BindTransceiver) -> None:
        [request] = self.send(self.esme, cls(system_id="gw"))  # type: ignore[call-arg]
        assert isinstance(request, p.Pdu)
        response_cls = p.RESPONSE_CLASSES[request.command_id]
        ok = response_cls(sequence_number=request.sequence_number, system_id="SMSC")  # type: ignore[call-arg]
        assert self.send(self.smsc, ok) == [ok]


def bound_pair(cls: type[p.Pdu] = p.BindTransceiver, window: int = 64) -> ConnectionPair:
    pair = ConnectionPair(window)
    pair.bind(cls)
    return pair


def test_bind_submit_receipt_unbind() -> None:
    pair = ConnectionPair()
    esme, smsc = pair.esme, pair.smsc

    [bind] = pair.send(esme, p.BindTransceiver(system_id="gw", password="secret"))
    assert bind == p.BindTransceiver(sequence_number=1, system_id="gw", password="secret")
    assert (esme.state, smsc.state) == (State.OPEN, State.OPEN)
    assert esme.outstanding == 1
    pair.send(smsc, p.BindTransceiverResp(sequence_number=1, system_id="SMSC"))
    assert (esme.state, smsc.state) == (State.BOUND_TRX, State.BOUND_TRX)
    assert esme.outstanding == 0

    [submit] = pair.send(esme, p.SubmitSm(destination_addr="447700900123", short_message=b"hi"))
    assert isinstance(submit, p.SubmitSm)
    assert submit.sequence_number == 2
    assert esme.outstanding == 1
    [submit_resp] = pair.send(smsc, p.SubmitSmResp(sequence_number=2, message_id="m-1"))
    assert submit_resp == p.SubmitSmResp(sequence_number=2, message_id="m-1")
    assert esme.outstanding == 0

    receipt = DeliveryReceipt("m-1", submitted=1, delivered=1, stat="DELIVRD", err="000")
    [deliver] = pair.send(
        smsc, receipt_to_pdu(receipt, source_addr="447700900123", destination_addr="gw")
    )
    assert isinstance(deliver, p.DeliverSm)
    assert receipt_from_pdu(deliver) == receipt
    assert smsc.outstanding == 1
    pair.send(esme, p.DeliverSmResp(sequence_number=deliver.sequence_number))
    assert smsc.outstanding == 0

    [unbind] = pair.send(esme, p.Unbind())
    assert isinstance(unbind, p.Unbind)
    assert esme.state is smsc.state is State.CLOSED
    [unbind_resp] = pair.send(smsc, p.UnbindResp(sequence_number=unbind.sequence_number))
    assert isinstance(unbind_resp, p.UnbindResp)
    assert esme.outstanding == smsc.outstanding == 0


def test_refused_bind_stays_open() -> None:
    pair = ConnectionPair()
    [bind] = pair.send(pair.esme, p.BindTransmitter(system_id="gw", password="bad"))
    assert isinstance(bind, p.Pdu)
    [resp] = pair.send(pair.smsc, error_response(bind, S.ESME_RINVPASWD))
    assert resp == p.BindTransmitterResp(sequence_number=1, command_status=S.ESME_RINVPASWD)
    assert pair.esme.state is pair.smsc.state is State.OPEN
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(p.SubmitSm())
    assert info.value.status == S.ESME_RINVBNDSTS


def test_transmitter_cannot_receive_deliver_sm() -> None:
    pair = bound_pair(p.BindTransmitter)
    assert pair.esme.state is State.BOUND_TX
    with pytest.raises(LocalProtocolError):
        pair.smsc.send(p.DeliverSm())
    # A peer that sends it anyway gets deliver_sm_resp ESME_RINVBNDSTS.
    pair.esme.receive_data(p.encode(p.DeliverSm(sequence_number=5)))
    [event] = drain(pair.esme)
    assert isinstance(event, PduRejected)
    assert isinstance(event.error, BindStateError)
    assert event.pdu == p.DeliverSm(sequence_number=5)
    assert event.reply == p.DeliverSmResp(sequence_number=5, command_status=S.ESME_RINVBNDSTS)
    assert pair.esme.state is State.BOUND_TX


def test_bind_on_bound_session_is_already_bound() -> None:
    pair = bound_pair()
    pair.smsc.receive_data(p.encode(p.BindTransmitter(sequence_number=9)))
    [event] = drain(pair.smsc)
    assert isinstance(event, PduRejected)
    assert event.reply == p.BindTransmitterResp(sequence_number=9, command_status=S.ESME_RALYBND)
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(p.BindTransmitter())
    assert info.value.status == S.ESME_RALYBND


def test_window_full() -> None:
    pair = bound_pair(window=2)
    esme = pair.esme
    first = esme.send(p.SubmitSm())
    esme.send(p.SubmitSm())
    assert esme.window_full
    with pytest.raises(LocalProtocolError) as info:
        esme.send(p.SubmitSm())
    assert info.value.status == S.ESME_RTHROTTLED
    assert esme.outstanding == 2
    # Keepalive and shutdown are not held back by the window.
    esme.send(p.EnquireLink())
    assert esme.outstanding == 3
    seq = struct.unpack_from(">I", first, 12)[0]
    esme.receive_data(p.encode(p.SubmitSmResp(sequence_number=seq, message_id="x")))
    assert drain(esme) == [p.SubmitSmResp(sequence_number=seq, message_id="x")]
    assert esme.outstanding == 2
    assert esme.window_full  # the enquire_link still occupies a slot
    esme.send(p.Unbind())


def test_response_for_unknown_sequence_number() -> None:
    pair = bound_pair()
    [event] = pair.send(pair.smsc, p.SubmitSmResp(sequence_number=999, message_id="x"))
    assert isinstance(event, PduRejected)
    assert type(event.error) is RemoteProtocolError
    assert event.pdu == p.SubmitSmResp(sequence_number=999, message_id="x")
    assert event.reply is None
    assert event.request is None
    assert pair.esme.state is State.BOUND_TRX


def test_unsolicited_bind_resp_does_not_bind() -> None:
    esme = Connection(Role.ESME)
    esme.receive_data(p.encode(p.BindTransceiverResp(sequence_number=1, system_id="x")))
    [event] = drain(esme)
    assert isinstance(event, PduRejected)
    assert esme.state is State.OPEN


def test_response_of_the_wrong_kind_frees_the_request() -> None:
    pair = bound_pair()
    pair.esme.send(p.SubmitSm(sequence_number=40))
    [event] = pair.send(pair.smsc, p.EnquireLinkResp(sequence_number=40))
    assert isinstance(event, PduRejected)
    assert event.request == p.SubmitSm(sequence_number=40)
    assert "expected submit_sm_resp" in str(event.error)
    assert pair.esme.outstanding == 0


def test_generic_nack_answers_a_request() -> None:
    pair = bound_pair()
    pair.esme.send(p.SubmitSm(sequence_number=41))
    nack = p.GenericNack(sequence_number=41, command_status=S.ESME_RSYSERR)
    assert pair.send(pair.smsc, nack) == [nack]
    assert pair.esme.outstanding == 0


def test_garbage_body_gets_a_reply_and_the_bind_stays_up() -> None:
    pair = bound_pair()
    smsc = pair.smsc
    good = p.encode(p.SubmitSm(sequence_number=50, source_addr="1"))
    # Octets 16-18 are service_type's NUL, ton and npi; then source_addr "1\0". Make
    # source_addr 25 digits long, beyond the 21 octets §4.4.1 allows.
    bad_source = good[4:19] + b"9" * 25 + good[20:]
    bad_source = struct.pack(">I", 4 + len(bad_source)) + bad_source
    unknown = struct.pack(">IIII", 16, 0x00000099, 0, 51)
    garbage = struct.pack(">IIII", 21, CommandId.submit_sm, 0, 53) + b"\xff\x00\x01\x02\x03"
    smsc.receive_data(bad_source + unknown + garbage + p.encode(p.SubmitSm(sequence_number=52)))
    first, second, truncated, third = drain(smsc)
    assert isinstance(first, PduRejected)
    assert isinstance(first.error, PduDecodeError)
    assert first.reply == p.SubmitSmResp(sequence_number=50, command_status=S.ESME_RINVSRCADR)
    assert isinstance(second, PduRejected)
    assert second.reply == p.GenericNack(sequence_number=51, command_status=S.ESME_RINVCMDID)
    assert isinstance(truncated, PduRejected)
    assert truncated.reply == p.GenericNack(sequence_number=53, command_status=S.ESME_RINVCMDLEN)
    assert third == p.SubmitSm(sequence_number=52)
    assert smsc.state is State.BOUND_TRX
    # The replies are legal to send.
    for rejected in (first, second, truncated):
        assert rejected.reply is not None
        smsc.send(rejected.reply)


def test_undecodable_response_frees_its_request() -> None:
    pair = bound_pair()
    pair.esme.send(p.SubmitSm(sequence_number=60))
    pair.esme.receive_data(bytes.fromhex("0000001380000004000000000000003c616263"))
    [event] = drain(pair.esme)
    assert isinstance(event, PduRejected)
    assert isinstance(event.error, PduDecodeError)
    assert event.request == p.SubmitSm(sequence_number=60)
    assert event.reply is None
    assert pair.esme.outstanding == 0


def test_framing_error_is_fatal() -> None:
    pair = bound_pair()
    pair.smsc.receive_data(struct.pack(">I", 8) + b"\x00" * 12)
    with pytest.raises(FramingError) as info:
        pair.smsc.next_event()
    assert pair.smsc.state is State.CLOSED
    with pytest.raises(FramingError):
        pair.smsc.next_event()
    # A generic_nack may still go out before the socket closes.
    nack = error_response(info.value)
    assert nack == p.GenericNack(sequence_number=0, command_status=S.ESME_RINVCMDLEN)
    pair.smsc.send(nack)


def test_oversized_pdu_is_fatal() -> None:
    conn = Connection(Role.SMSC, max_pdu_size=100)
    conn.receive_data(struct.pack(">I", 101))
    with pytest.raises(FramingError):
        conn.next_event()


def test_expired_requests() -> None:
    pair = bound_pair()
    esme = pair.esme
    esme.send(p.SubmitSm(sequence_number=70), now=100.0)
    esme.send(p.EnquireLink(sequence_number=71), now=104.0)
    esme.send(p.SubmitSm(sequence_number=72))  # no `now`: never expires
    assert esme.expired(now=105.0, timeout=5.0) == []
    assert esme.expired(now=105.5, timeout=5.0) == [p.SubmitSm(sequence_number=70)]
    assert esme.outstanding == 2
    assert esme.expired(now=1e9, timeout=5.0) == [p.EnquireLink(sequence_number=71)]
    assert esme.outstanding_requests == [p.SubmitSm(sequence_number=72)]
    # A late answer is now unknown.
    [event] = pair.send(pair.smsc, p.SubmitSmResp(sequence_number=70, message_id="late"))
    assert isinstance(event, PduRejected)


def test_sequence_numbers() -> None:
    conn = Connection(Role.ESME)
    assert [conn.next_sequence() for _ in range(3)] == [1, 2, 3]
    conn.send(p.BindTransmitter(sequence_number=5))
    conn._sequence = 4  # jump ahead instead of sending 2**31 PDUs
    assert conn.next_sequence() == 6  # 5 is outstanding
    conn._sequence = 0x7FFFFFFE
    assert conn.next_sequence() == 0x7FFFFFFF
    assert conn.next_sequence() == 1


@pytest.mark.parametrize("seq", [5, 0x80000000])
def test_bad_explicit_sequence_numbers(seq: int) -> None:
    conn = Connection(Role.ESME)
    conn.send(p.BindTransmitter(sequence_number=5))
    with pytest.raises(LocalProtocolError, match="sequence_number"):
        conn.send(p.BindTransmitter(sequence_number=seq))
    assert conn.outstanding == 1


def test_failed_encode_changes_nothing() -> None:
    pair = bound_pair()
    with pytest.raises(LocalProtocolError):
        pair.esme.send(p.Unbind(sequence_number=1, command_status=-1))
    assert pair.esme.state is State.BOUND_TRX
    assert pair.esme.outstanding == 0


def test_outbind_then_bind_receiver() -> None:
    pair = ConnectionPair()
    [outbind] = pair.send(pair.smsc, p.Outbind(system_id="smsc", password="pw"))
    assert isinstance(outbind, p.Outbind)
    assert pair.smsc.outstanding == 0  # outbind has no response
    pair.bind(p.BindReceiver)
    assert pair.esme.state is State.BOUND_RX
    with pytest.raises(LocalProtocolError):
        pair.esme.send(p.SubmitSm())


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        Connection(Role.ESME, window=0)


def test_error_response() -> None:
    submit = p.SubmitSm(sequence_number=8)
    assert error_response(submit) == p.SubmitSmResp(
        sequence_number=8, command_status=S.ESME_RSYSERR
    )
    assert error_response(submit, S.ESME_RTHROTTLED).command_status == S.ESME_RTHROTTLED
    assert error_response(p.Outbind(sequence_number=3)) == p.GenericNack(
        sequence_number=3, command_status=S.ESME_RSYSERR
    )
    truncated = PduDecodeError("short", S.ESME_RINVCMDLEN, sequence_number=4, command_id=4)
    assert error_response(truncated) == p.GenericNack(
        sequence_number=4, command_status=S.ESME_RINVCMDLEN
    )
    with pytest.raises(LocalProtocolError, match="never answered"):
        error_response(p.SubmitSmResp(sequence_number=1))
    with pytest.raises(LocalProtocolError, match="ESME_ROK"):
        error_response(submit, S.ESME_ROK)


# --- every (state, role, command) ------------------------------------------------------

_TX = {State.BOUND_TX, State.BOUND_TRX}
_RX = {State.BOUND_RX, State.BOUND_TRX}
_BOUND = _TX | _RX
_OPEN = {State.OPEN}
_NONE: set[State] = set()

# SMPP 3.4 §2.3 table 2-1, typed in independently of _state: who may send each request.
SPEC: dict[CommandId, dict[Role, set[State]]] = {
    CommandId.bind_transmitter: {Role.ESME: _OPEN, Role.SMSC: _NONE},
    CommandId.bind_receiver: {Role.ESME: _OPEN, Role.SMSC: _NONE},
    CommandId.bind_transceiver: {Role.ESME: _OPEN, Role.SMSC: _NONE},
    CommandId.outbind: {Role.ESME: _NONE, Role.SMSC: _OPEN},
    CommandId.submit_sm: {Role.ESME: _TX, Role.SMSC: _NONE},
    CommandId.query_sm: {Role.ESME: _TX, Role.SMSC: _NONE},
    CommandId.replace_sm: {Role.ESME: _TX, Role.SMSC: _NONE},
    CommandId.cancel_sm: {Role.ESME: _TX, Role.SMSC: _NONE},
    CommandId.submit_multi: {Role.ESME: _TX, Role.SMSC: _NONE},
    CommandId.data_sm: {Role.ESME: _TX, Role.SMSC: _RX},
    CommandId.deliver_sm: {Role.ESME: _NONE, Role.SMSC: _RX},
    CommandId.alert_notification: {Role.ESME: _NONE, Role.SMSC: _RX},
    CommandId.enquire_link: {Role.ESME: _BOUND, Role.SMSC: _BOUND},
    CommandId.unbind: {Role.ESME: _BOUND, Role.SMSC: _BOUND},
}


def try_send(conn: Connection, pdu: p.Pdu) -> bytes | LocalProtocolError:
    try:
        return conn.send(pdu)
    except LocalProtocolError as exc:
        return exc


def may_send(role: Role, state: State, command_id: CommandId) -> bool:
    if command_id == CommandId.generic_nack:
        return True
    if command_id.is_response:
        request = CommandId(command_id & ~RESPONSE_BIT)
        # Answer what the peer may send, in its states or after an unbind crossed it.
        allowed = SPEC[request][role.peer]
        return state in allowed or (state is State.CLOSED and bool(allowed))
    return state in SPEC[command_id][role]


def reach(role: Role, state: State) -> Connection:
    pair = ConnectionPair()
    binds = {
        State.BOUND_TX: p.BindTransmitter,
        State.BOUND_RX: p.BindReceiver,
        State.BOUND_TRX: p.BindTransceiver,
        State.CLOSED: p.BindTransceiver,
    }
    if state in binds:
        pair.bind(binds[state])
    conn = pair.esme if role is Role.ESME else pair.smsc
    if state is State.CLOSED:
        conn.send(p.Unbind())
    assert conn.state is state
    return conn


@pytest.mark.parametrize("command_id", list(CommandId), ids=lambda c: c.name)
@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.name)
def test_every_state_role_command(role: Role, state: State, command_id: CommandId) -> None:
    cls = p.PDU_CLASSES.get(command_id)
    if cls is not None:  # what we may send
        conn = reach(role, state)
        result = try_send(conn, cls(sequence_number=1000))
        if isinstance(result, LocalProtocolError):
            assert not may_send(role, state, command_id)
            assert result.status in (S.ESME_RINVBNDSTS, S.ESME_RALYBND)
            assert conn.state is state
        else:
            assert may_send(role, state, command_id)
        if command_id.is_response:  # a refusal is allowed anywhere and changes nothing
            conn = reach(role, state)
            conn.send(cls(sequence_number=1000, command_status=S.ESME_RSYSERR))
            assert conn.state is state

    conn = reach(role, state)  # what the peer may send us
    data = (
        p.encode(cls(sequence_number=1000))
        if cls
        else struct.pack(">IIII", 16, command_id, 0, 1000)
    )
    conn.receive_data(data)
    [event] = drain(conn)
    if command_id.is_response:
        # Sequence number 1000 answers nothing of ours: rejected, never answered back.
        assert isinstance(event, PduRejected)
        assert event.reply is None
        assert conn.state is state
    elif cls is None:
        assert isinstance(event, PduRejected)
        assert event.reply == p.GenericNack(sequence_number=1000, command_status=S.ESME_RINVCMDID)
    elif may_send(role.peer, state, command_id):
        assert event == cls(sequence_number=1000)
        expected = State.CLOSED if command_id == CommandId.unbind else state
        assert conn.state is expected
    else:
        assert isinstance(event, PduRejected)
        assert isinstance(event.error, BindStateError)
        assert event.reply is not None
        assert event.reply.sequence_number == 1000
        assert event.reply.command_status in (S.ESME_RINVBNDSTS, S.ESME_RALYBND)
        assert conn.state is state
        conn.send(event.reply)  # a refusal can always be sent, and changes nothing
        assert conn.state is state


# --- both ends agree on the state, whatever the interleaving -------------------------

_REQUESTS = [cls for cid, cls in sorted(p.PDU_CLASSES.items()) if not cid & RESPONSE_BIT]
_BINDS = [p.BindTransmitter, p.BindReceiver, p.BindTransceiver]


class WellBehavedPair(RuleBasedStateMachine):
    """Two well-behaved peers: each sends what its Connection allows, answers only what
    it received (accepting or refusing at random), and the bytes cross in random chunks.

    Whenever nothing is in flight, both ends must agree on the bind state, and the only
    rejections ever seen are state races (e.g. a deliver_sm crossing our unbind).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conns = {
            Role.ESME: Connection(Role.ESME, window=3),
            Role.SMSC: Connection(Role.SMSC, window=3),
        }
        self.wire: dict[Role, bytearray] = {Role.ESME: bytearray(), Role.SMSC: bytearray()}
        self.inbox: dict[Role, list[p.Pdu]] = {Role.ESME: [], Role.SMSC: []}

    @initialize(cls=st.none() | st.sampled_from(_BINDS))
    def start(self, cls: type[p.Pdu] | None) -> None:
        if cls is not None:  # most runs start bound, so the bound states get explored
            self._send(Role.ESME, cls())
            self.settle()
            request = self.inbox[Role.SMSC].pop()
            self._send(Role.SMSC, p.RESPONSE_CLASSES[request.command_id](sequence_number=1))
            self.settle()

    def _send(self, role: Role, pdu: p.Pdu) -> None:
        result = try_send(self.conns[role], pdu)
        if isinstance(result, LocalProtocolError):
            assert result.status in (S.ESME_RINVBNDSTS, S.ESME_RALYBND, S.ESME_RTHROTTLED)
        else:
            self.wire[role] += result

    @rule(
        role=st.sampled_from(Role),
        cls=st.sampled_from(_REQUESTS) | st.sampled_from(_BINDS) | st.just(p.SubmitSm),
    )
    def send_request(self, role: Role, cls: type[p.Pdu]) -> None:
        self._send(role, cls())

    @rule(role=st.sampled_from(Role), accept=st.booleans(), data=st.data())
    def answer(self, role: Role, accept: bool, data: st.DataObject) -> None:
        if not self.inbox[role]:
            return
        request = self.inbox[role].pop(data.draw(st.integers(0, len(self.inbox[role]) - 1)))
        if accept:  # (an accepted bind binds; the SMSC's system_id stays empty)
            response = p.RESPONSE_CLASSES[request.command_id](
                sequence_number=request.sequence_number
            )
        else:
            response = error_response(request, S.ESME_RSYSERR)
        self._send(role, response)

    @rule(role=st.sampled_from(Role), size=st.integers(1, 80))
    def deliver(self, role: Role, size: int) -> None:
        chunk = bytes(self.wire[role][:size])
        del self.wire[role][:size]
        receiver = role.peer
        self.conns[receiver].receive_data(chunk)
        for received in drain(self.conns[receiver]):
            if isinstance(received, PduRejected):
                assert isinstance(received.error, BindStateError), received.error
                assert received.reply is not None
                self._send(receiver, received.reply)
            elif not received.is_response and received.command_id in p.RESPONSE_CLASSES:
                self.inbox[receiver].append(received)

    @rule()
    def settle(self) -> None:
        while self.wire[Role.ESME] or self.wire[Role.SMSC]:
            for role in Role:
                self.deliver(role, len(self.wire[role]) or 1)

    @invariant()
    def states_agree_when_quiet(self) -> None:
        event(self.conns[Role.ESME].state.value)  # see --hypothesis-show-statistics
        if not self.wire[Role.ESME] and not self.wire[Role.SMSC]:
            assert self.conns[Role.ESME].state is self.conns[Role.SMSC].state


WellBehavedPair.TestCase.settings = settings(max_examples=200, stateful_step_count=40)
test_well_behaved_pair = WellBehavedPair.TestCase

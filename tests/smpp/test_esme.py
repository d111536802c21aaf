"""EsmeSession over real sockets on 127.0.0.1.

`ScriptedSmsc` is a raw SMSC written straight on `Connection(Role.SMSC)` (no `_link`),
so these tests do not lean on the glue they test. Every scenario runs under a deadline.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import pytest

from smsgate.errors import ConfigError
from smsgate.smpp import pdu as p
from smsgate.smpp.connection import NEED_DATA, Connection, PduRejected, Role
from smsgate.smpp.esme import (
    BindError,
    EsmeSession,
    ResponseTimeout,
    SessionClosedError,
    SmppTimeouts,
)
from smsgate.smpp.smsc import BindRequest, SmscServer, SmscSession, SubmitAnswer
from smsgate.smpp.status import CommandId, CommandStatus

S = CommandStatus
FAST = SmppTimeouts(connect=2, bind=2, response=2, enquire_link_interval=30, unbind=2)


def run(scenario: Callable[[], Awaitable[None]], deadline: float = 10.0) -> None:
    async def main() -> None:
        async with asyncio.timeout(deadline):
            await scenario()

    asyncio.run(main())


def submit_sm(session: EsmeSession, text: bytes = b"hi") -> p.SubmitSm:
    return p.SubmitSm(
        sequence_number=session.next_sequence(),
        source_addr="15005550006",
        destination_addr="14155552671",
        short_message=text,
    )


class ScriptedSmsc:
    """Accepts binds, records every PDU, answers as told.

    Attributes:
        hold_submits: keep submit_sm unanswered until `release` is set.
        answer_enquire_link: False leaves enquire_link unanswered.
    """

    def __init__(self, *, hold_submits: bool = False, answer_enquire_link: bool = True) -> None:
        self.hold_submits = hold_submits
        self.answer_enquire_link = answer_enquire_link
        self.received: list[p.Pdu] = []
        self.release = asyncio.Event()
        self._seen = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []
        self._held: list[tuple[Connection, asyncio.StreamWriter, p.Pdu]] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> ScriptedSmsc:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def commands(self) -> list[CommandId]:
        return [pdu.command_id for pdu in self.received]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self._seen.clear()
            await self._seen.wait()

    def send_raw(self, data: bytes) -> None:
        self._writers[-1].write(data)

    def answer_held(self) -> None:
        for connection, writer, pdu in self._held:
            writer.write(connection.send(p.SubmitSmResp(sequence_number=pdu.sequence_number)))
        self._held.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        connection = Connection(Role.SMSC)
        try:
            while data := await reader.read(65536):
                connection.receive_data(data)
                while (event := connection.next_event()) is not NEED_DATA:
                    if isinstance(event, PduRejected):  # e.g. a generic_nack we never asked for
                        if event.pdu is not None:
                            self.received.append(event.pdu)
                            self._seen.set()
                        if event.reply is not None:
                            writer.write(connection.send(event.reply))
                        continue
                    self.received.append(event)
                    self._seen.set()
                    self._answer(connection, writer, event)
        except (ConnectionError, OSError):
            pass  # the ESME dropped the connection: nothing left to serve
        finally:
            writer.close()

    def _answer(self, connection: Connection, writer: asyncio.StreamWriter, pdu: p.Pdu) -> None:
        seq = pdu.sequence_number
        if isinstance(pdu, p.BindTransceiver | p.BindTransmitter | p.BindReceiver):
            response = {
                CommandId.bind_transceiver: p.BindTransceiverResp,
                CommandId.bind_transmitter: p.BindTransmitterResp,
                CommandId.bind_receiver: p.BindReceiverResp,
            }[pdu.command_id]
            writer.write(connection.send(response(sequence_number=seq, system_id="fake")))
        elif isinstance(pdu, p.SubmitSm):
            if self.hold_submits:
                self._held.append((connection, writer, pdu))
            else:
                writer.write(connection.send(p.SubmitSmResp(sequence_number=seq, message_id="m1")))
        elif isinstance(pdu, p.EnquireLink) and self.answer_enquire_link:
            writer.write(connection.send(p.EnquireLinkResp(sequence_number=seq)))
        elif isinstance(pdu, p.Unbind):
            writer.write(connection.send(p.UnbindResp(sequence_number=seq)))


class Handler:
    """An SmscHandler for SmscServer: accepts smsgate/secret, answers submits with ids."""

    def __init__(self) -> None:
        self.submits: list[p.SubmitSm] = []

    async def on_bind(self, session: SmscSession, bind: BindRequest) -> CommandStatus:
        if bind.system_id != "smsgate":
            return S.ESME_RINVSYSID
        return S.ESME_ROK if bind.password == "secret" else S.ESME_RINVPASWD

    def on_submit(self, session: SmscSession, pdu: p.SubmitSm) -> SubmitAnswer:
        self.submits.append(pdu)
        return p.SubmitSmResp(
            sequence_number=pdu.sequence_number, message_id=f"id{len(self.submits)}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_bind_submit_and_deliver_as_transceiver() -> None:
    delivered: list[p.DeliverSm | p.DataSm] = []

    async def on_deliver(pdu: p.DeliverSm | p.DataSm) -> CommandStatus:
        delivered.append(pdu)
        return S.ESME_RX_P_APPN  # whatever we return goes into the deliver_sm_resp

    async def scenario() -> None:
        async with SmscServer(Handler()) as server:
            session = EsmeSession(
                "127.0.0.1",
                server.port,
                system_id="smsgate",
                password="secret",
                timeouts=FAST,
                on_deliver=on_deliver,
            )
            async with session:
                assert session.is_bound
                answer = await session.submit(submit_sm(session))
                assert answer == p.SubmitSmResp(
                    sequence_number=answer.sequence_number, message_id="id1"
                )
                smsc_side = server.receiver("smsgate")
                assert smsc_side is not None
                pdu = p.DeliverSm(sequence_number=smsc_side.next_sequence(), short_message=b"yo")
                resp = await smsc_side.deliver(pdu)
                assert isinstance(resp, p.DeliverSmResp)
                assert resp.command_status == S.ESME_RX_P_APPN
            assert not session.is_bound
            assert session.close_reason == "we unbound"
        assert [d.short_message for d in delivered] == [b"yo"]

    run(scenario)


def test_transmitter_receiver_mode_binds_twice() -> None:
    delivered: list[bytes] = []

    async def on_deliver(pdu: p.DeliverSm | p.DataSm) -> CommandStatus:
        assert isinstance(pdu, p.DeliverSm)
        delivered.append(pdu.short_message)
        return S.ESME_ROK

    async def scenario() -> None:
        handler = Handler()
        async with (
            SmscServer(handler) as server,
            EsmeSession(
                "127.0.0.1",
                server.port,
                system_id="smsgate",
                password="secret",
                bind_mode="transmitter_receiver",
                timeouts=FAST,
                on_deliver=on_deliver,
            ) as session,
        ):
            states = sorted(s.state.value for s in server.sessions)
            assert states == ["BOUND_RX", "BOUND_TX"]
            await session.submit(submit_sm(session))
            receiver = server.receiver("smsgate")
            assert receiver is not None
            assert receiver.state.value == "BOUND_RX"
            await receiver.deliver(
                p.DeliverSm(sequence_number=receiver.next_sequence(), short_message=b"in")
            )
        assert len(handler.submits) == 1
        assert delivered == [b"in"]

    run(scenario)


@pytest.mark.parametrize(
    ("system_id", "password", "status"),
    [("smsgate", "wrong", S.ESME_RINVPASWD), ("nobody", "secret", S.ESME_RINVSYSID)],
)
def test_refused_bind_raises_bind_error(
    system_id: str, password: str, status: CommandStatus
) -> None:
    async def scenario() -> None:
        async with SmscServer(Handler()) as server:
            session = EsmeSession(
                "127.0.0.1", server.port, system_id=system_id, password=password, timeouts=FAST
            )
            with pytest.raises(BindError) as caught:
                async with session:
                    pytest.fail("the bind should have been refused")
        assert caught.value.status == status
        assert status.name in caught.value.message
        assert repr(system_id) in caught.value.message
        assert not session.is_bound

    run(scenario)


def test_connect_refused_raises_bind_error_without_status() -> None:
    async def scenario() -> None:
        session = EsmeSession(
            "127.0.0.1", free_port(), system_id="smsgate", password="secret", timeouts=FAST
        )
        with pytest.raises(BindError, match="Could not connect") as caught:
            await session.__aenter__()
        assert caught.value.status is None

    run(scenario)


def test_full_window_makes_submitters_wait_not_fail() -> None:
    async def scenario() -> None:
        async with (
            ScriptedSmsc(hold_submits=True) as smsc,
            EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", window=2, timeouts=FAST
            ) as session,
        ):
            tasks = [asyncio.create_task(session.submit(submit_sm(session))) for _ in range(3)]
            await smsc.wait_for(lambda: smsc.commands().count(CommandId.submit_sm) == 2)
            assert session.window_in_use == 2
            assert not any(task.done() for task in tasks)  # the third waits for a slot
            smsc.answer_held()
            await smsc.wait_for(lambda: smsc.commands().count(CommandId.submit_sm) == 3)
            smsc.answer_held()
            answers = await asyncio.gather(*tasks)
            assert all(a.command_status == S.ESME_ROK for a in answers)
            assert session.window_in_use == 0

    run(scenario)


def test_cancelled_waiter_leaves_the_window_consistent() -> None:
    async def scenario() -> None:
        async with (
            ScriptedSmsc(hold_submits=True) as smsc,
            EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", window=1, timeouts=FAST
            ) as session,
        ):
            first = asyncio.create_task(session.submit(submit_sm(session)))
            await smsc.wait_for(lambda: CommandId.submit_sm in smsc.commands())
            # Waits for the slot the first one holds, until a deadline cancels it (as the
            # dispatcher's submit_timeout would).
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await session.submit(submit_sm(session))
            smsc.answer_held()
            await first
            smsc.hold_submits = False
            third = await session.submit(submit_sm(session))
            assert third.command_status == S.ESME_ROK
            assert (session.window_in_use, session.waiting) == (0, 0)
            assert smsc.commands().count(CommandId.submit_sm) == 2  # the cancelled never went

    run(scenario)


def test_unanswered_submit_raises_response_timeout_and_frees_its_slot() -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(connect=2, bind=2, response=0.2, enquire_link_interval=30)
        async with (
            ScriptedSmsc(hold_submits=True) as smsc,
            EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", window=1, timeouts=timeouts
            ) as session,
        ):
            with pytest.raises(ResponseTimeout, match="submit_sm"):
                await session.submit(submit_sm(session))
            assert session.window_in_use == 0
            assert session.is_bound  # a slow answer does not end the session

    run(scenario)


def test_enquire_link_keepalive_on_idle() -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(connect=2, bind=2, response=1, enquire_link_interval=0.05)
        async with (
            ScriptedSmsc() as smsc,
            EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", timeouts=timeouts
            ) as session,
        ):
            await smsc.wait_for(lambda: smsc.commands().count(CommandId.enquire_link) >= 3)
            assert session.is_bound

    run(scenario)


def test_unanswered_enquire_link_ends_the_session() -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(connect=2, bind=2, response=0.1, enquire_link_interval=0.05)
        async with ScriptedSmsc(answer_enquire_link=False) as smsc:
            session = EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", timeouts=timeouts
            )
            async with session:
                await session.wait_closed()
                assert not session.is_bound
                assert session.close_reason is not None
                assert "enquire_link_resp" in session.close_reason
                with pytest.raises(SessionClosedError) as caught:
                    await session.submit(submit_sm(session))
                assert not caught.value.sent

    run(scenario)


def test_graceful_aclose_waits_for_outstanding_then_unbinds() -> None:
    async def scenario() -> None:
        async with ScriptedSmsc(hold_submits=True) as smsc:
            async with EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", timeouts=FAST
            ) as session:
                tasks = [asyncio.create_task(session.submit(submit_sm(session))) for _ in range(3)]
                await smsc.wait_for(lambda: smsc.commands().count(CommandId.submit_sm) == 3)
                closing = asyncio.create_task(session.aclose())
                late = asyncio.create_task(session.submit(submit_sm(session)))  # runs after
                with pytest.raises(SessionClosedError) as caught:
                    await late
                assert not caught.value.sent
                assert not session.is_bound
                assert CommandId.unbind not in smsc.commands()  # not while 3 are out
                smsc.answer_held()
                answers = await asyncio.gather(*tasks)
                assert [a.command_status for a in answers] == [S.ESME_ROK] * 3
                await closing
            assert smsc.commands()[-1] == CommandId.unbind

    run(scenario)


def test_smsc_unbind_is_answered_and_ends_the_session() -> None:
    async def scenario() -> None:
        async with SmscServer(Handler(), timeouts=FAST) as server:
            session = EsmeSession(
                "127.0.0.1", server.port, system_id="smsgate", password="secret", timeouts=FAST
            )
            async with session:
                await server.sessions[0].unbind()  # waits for our unbind_resp
                await session.wait_closed()
            assert session.close_reason == "the peer unbound"

    run(scenario)


def test_garbage_from_the_smsc_gets_generic_nack_and_the_bind_stays() -> None:
    async def scenario() -> None:
        async with (
            ScriptedSmsc() as smsc,
            EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", timeouts=FAST
            ) as session,
        ):
            smsc.send_raw(struct.pack(">IIII", 16, 0x00000777, 0, 99))  # unknown command
            await smsc.wait_for(lambda: CommandId.generic_nack in smsc.commands())
            nack = smsc.received[-1]
            assert (nack.sequence_number, nack.command_status) == (99, S.ESME_RINVCMDID)
            answer = await session.submit(submit_sm(session))
            assert answer.command_status == S.ESME_ROK

    run(scenario)


def test_framing_error_closes_the_session() -> None:
    async def scenario() -> None:
        async with ScriptedSmsc() as smsc:
            session = EsmeSession(
                "127.0.0.1", smsc.port, system_id="a", password="b", timeouts=FAST
            )
            async with session:
                smsc.send_raw(struct.pack(">I", 8) + b"\x00" * 12)  # command_length < 16
                await session.wait_closed()
            assert session.close_reason is not None
            assert session.close_reason.startswith("framing lost")

    run(scenario)


@pytest.mark.parametrize(
    "field", ["connect", "bind", "response", "enquire_link_interval", "unbind"]
)
def test_timeouts_must_be_positive(field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        SmppTimeouts(**{field: 0})


def test_a_whole_window_of_deliver_sm_is_handled_at_once() -> None:
    """Each deliver_sm waits for its commit before it is answered; a window's worth of them
    must wait together (one group commit), not a few at a time."""
    window = 32
    in_progress = 0
    all_in = asyncio.Event()

    async def on_deliver(pdu: p.DeliverSm | p.DataSm) -> CommandStatus:
        nonlocal in_progress
        in_progress += 1
        if in_progress == window:
            all_in.set()
        await all_in.wait()  # answered only once every one of them is being handled
        return S.ESME_ROK

    async def scenario() -> None:
        async with SmscServer(Handler()) as server:
            session = EsmeSession(
                "127.0.0.1",
                server.port,
                system_id="smsgate",
                password="secret",
                timeouts=FAST,
                on_deliver=on_deliver,
                window=window,
            )
            async with session:
                smsc_side = server.receiver("smsgate")
                assert smsc_side is not None
                answers = await asyncio.gather(
                    *(
                        smsc_side.deliver(
                            p.DeliverSm(
                                sequence_number=smsc_side.next_sequence(), short_message=b"r"
                            )
                        )
                        for _ in range(window)
                    )
                )
        assert [a.command_status for a in answers] == [S.ESME_ROK] * window

    run(scenario)

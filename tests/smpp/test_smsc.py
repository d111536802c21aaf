"""SmscServer over real sockets on 127.0.0.1: a raw client for what an ESME must not do,
an EsmeSession for the rest."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from smsgate.smpp import pdu as p
from smsgate.smpp.esme import EsmeSession, SmppTimeouts
from smsgate.smpp.smsc import BindRequest, SmscServer, SmscSession, SubmitAnswer
from smsgate.smpp.status import CommandId, CommandStatus

S = CommandStatus
FAST = SmppTimeouts(connect=2, bind=2, response=2, enquire_link_interval=30, unbind=2)


def run(scenario: Callable[[], Awaitable[None]], deadline: float = 10.0) -> None:
    async def main() -> None:
        async with asyncio.timeout(deadline):
            await scenario()

    asyncio.run(main())


class Handler:
    """Accepts smsgate/secret; answers submits by `mode`."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.binds: list[BindRequest] = []
        self.submits: list[p.SubmitSm] = []

    async def on_bind(self, session: SmscSession, bind: BindRequest) -> CommandStatus:
        self.binds.append(bind)
        return S.ESME_ROK if bind.password == "secret" else S.ESME_RINVPASWD

    def on_submit(
        self, session: SmscSession, pdu: p.SubmitSm
    ) -> SubmitAnswer | Coroutine[Any, Any, SubmitAnswer]:
        self.submits.append(pdu)
        if self.mode == "raise":
            raise RuntimeError("handler bug")
        if self.mode == "hang":
            return self._never()
        if self.mode == "refuse":
            return S.ESME_RINVDSTADR
        return p.SubmitSmResp(sequence_number=pdu.sequence_number, message_id="x1")

    async def _never(self) -> SubmitAnswer:
        await asyncio.Event().wait()  # cut short by the session's handler timeout
        raise AssertionError("unreachable")


class RawEsme:
    """A socket that speaks PDUs with no state machine, to send what a session would not."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> RawEsme:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    def send(self, pdu: p.Pdu | bytes) -> None:
        self.writer.write(pdu if isinstance(pdu, bytes) else p.encode(pdu))

    async def receive(self) -> p.Pdu:
        header = await self.reader.readexactly(4)
        (length,) = struct.unpack(">I", header)
        return p.decode(header + await self.reader.readexactly(length - 4))

    async def bind(self) -> None:
        self.send(p.BindTransceiver(sequence_number=1, system_id="smsgate", password="secret"))
        answer = await self.receive()
        assert isinstance(answer, p.BindTransceiverResp)
        assert answer.command_status == S.ESME_ROK

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def test_bind_is_authenticated_by_the_handler() -> None:
    async def scenario() -> None:
        handler = Handler()
        async with SmscServer(handler, system_id="sim") as server:
            esme = await RawEsme.connect(server.port)
            esme.send(p.BindTransmitter(sequence_number=7, system_id="smsgate", password="nope"))
            refused = await esme.receive()
            assert refused == p.BindTransmitterResp(
                sequence_number=7, command_status=S.ESME_RINVPASWD
            )
            esme.send(p.BindTransmitter(sequence_number=8, system_id="smsgate", password="secret"))
            accepted = await esme.receive()
            assert accepted == p.BindTransmitterResp(sequence_number=8, system_id="sim")
            assert server.sessions[0].system_id == "smsgate"
            assert server.receiver() is None  # a transmitter takes no deliver_sm
            await esme.close()
        assert [b.password for b in handler.binds] == ["nope", "secret"]

    run(scenario)


def test_garbage_gets_generic_nack_and_the_session_stays_up() -> None:
    async def scenario() -> None:
        async with SmscServer(Handler()) as server:
            esme = await RawEsme.connect(server.port)
            await esme.bind()
            esme.send(struct.pack(">IIII", 20, 0x00000777, 0, 5) + b"junk")
            nack = await esme.receive()
            assert nack == p.GenericNack(sequence_number=5, command_status=S.ESME_RINVCMDID)
            esme.send(p.EnquireLink(sequence_number=6))
            assert await esme.receive() == p.EnquireLinkResp(sequence_number=6)
            await esme.close()

    run(scenario)


def test_submit_before_bind_is_refused_with_rinvbndsts() -> None:
    async def scenario() -> None:
        handler = Handler()
        async with SmscServer(handler) as server:
            esme = await RawEsme.connect(server.port)
            esme.send(p.SubmitSm(sequence_number=3, destination_addr="1", short_message=b"x"))
            answer = await esme.receive()
            assert answer == p.SubmitSmResp(sequence_number=3, command_status=S.ESME_RINVBNDSTS)
            await esme.close()
        assert handler.submits == []

    run(scenario)


def test_broken_command_length_is_nacked_then_the_connection_closes() -> None:
    async def scenario() -> None:
        async with SmscServer(Handler()) as server:
            esme = await RawEsme.connect(server.port)
            await esme.bind()
            esme.send(struct.pack(">IIII", 4, 0x00000004, 0, 9))
            nack = await esme.receive()
            assert nack.command_id == CommandId.generic_nack
            assert nack.command_status == S.ESME_RINVCMDLEN
            assert await esme.reader.read() == b""  # closed
            await esme.close()

    run(scenario)


def test_connection_that_never_binds_is_closed() -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(bind=0.1)
        async with SmscServer(Handler(), timeouts=timeouts) as server:
            esme = await RawEsme.connect(server.port)
            assert await esme.reader.read() == b""
            await esme.close()

    run(scenario)


@pytest.mark.parametrize(
    ("mode", "status"),
    [("refuse", S.ESME_RINVDSTADR), ("raise", S.ESME_RSYSERR), ("hang", S.ESME_RSYSERR)],
)
def test_handler_answers_errors_and_overruns(mode: str, status: CommandStatus) -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(response=0.2)
        async with SmscServer(Handler(mode), timeouts=timeouts) as server:
            esme = await RawEsme.connect(server.port)
            await esme.bind()
            esme.send(p.SubmitSm(sequence_number=2, destination_addr="1", short_message=b"x"))
            answer = await esme.receive()
            assert answer == p.SubmitSmResp(sequence_number=2, command_status=status)
            await esme.close()

    run(scenario)


def test_deliver_reaches_a_bound_receiver_and_returns_its_answer() -> None:
    got: list[bytes] = []

    async def on_deliver(pdu: p.DeliverSm | p.DataSm) -> CommandStatus:
        assert isinstance(pdu, p.DeliverSm)
        got.append(pdu.short_message)
        return S.ESME_ROK

    async def scenario() -> None:
        async with (
            SmscServer(Handler()) as server,
            EsmeSession(
                "127.0.0.1",
                server.port,
                system_id="smsgate",
                password="secret",
                timeouts=FAST,
                on_deliver=on_deliver,
            ),
        ):
            receiver = await server.wait_receiver("smsgate")
            assert server.receiver("someone-else") is None
            pdus = [
                p.DeliverSm(sequence_number=receiver.next_sequence(), short_message=b"%d" % i)
                for i in range(5)
            ]
            futures = [await receiver.start_deliver(pdu) for pdu in pdus]
            answers = await asyncio.gather(*futures)
            assert [a.command_status for a in answers] == [S.ESME_ROK] * 5
        assert sorted(got) == [b"0", b"1", b"2", b"3", b"4"]

    run(scenario)


def test_aclose_unbinds_every_session() -> None:
    async def scenario() -> None:
        server = SmscServer(Handler(), timeouts=FAST)
        async with server:
            session = EsmeSession(
                "127.0.0.1", server.port, system_id="smsgate", password="secret", timeouts=FAST
            )
            async with session:
                await server.aclose()
                await session.wait_closed()
                assert session.close_reason == "the peer unbound"
        assert server.sessions == []

    run(scenario)


def test_drop_connections_ends_sessions_without_unbind() -> None:
    async def scenario() -> None:
        async with SmscServer(Handler(), timeouts=FAST) as server:
            session = EsmeSession(
                "127.0.0.1", server.port, system_id="smsgate", password="secret", timeouts=FAST
            )
            async with session:
                server.drop_connections()
                await session.wait_closed()
            assert session.close_reason != "the peer unbound"

    run(scenario)

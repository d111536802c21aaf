"""The SMSC simulator over real sockets on 127.0.0.1, plus its pure parts (rules, handsets)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from smsgate.domain.encoding import decode_ucs2, encode_ucs2
from smsgate.errors import ConfigError
from smsgate.simulator.handsets import Handsets
from smsgate.simulator.rules import DEFAULT_RULES, DELIVER_ALL, Rule, match_rule
from smsgate.simulator.smsc import Simulator, serve_simulator
from smsgate.smpp import (
    ESM_CLASS_UDHI,
    CommandStatus,
    DataSm,
    DeliverSm,
    MessageState,
    SubmitSm,
    Tag,
    Tlv,
    add_concat_udh,
    decode,
    encode,
    parse_udh,
    receipt_from_pdu,
)
from smsgate.smpp import pdu as p
from smsgate.smpp.esme import BindError, EsmeSession, SmppTimeouts
from tests.smpplib_session import smpplib_round_trip

smpplib_client = pytest.importorskip("smpplib.client")

S = CommandStatus
FAST = SmppTimeouts(connect=2, bind=2, response=2, enquire_link_interval=30, unbind=2)
TO = "+14155552671"


def run(scenario: Callable[[], Awaitable[None]], deadline: float = 10.0) -> None:
    async def main() -> None:
        async with asyncio.timeout(deadline):
            await scenario()

    asyncio.run(main())


class Deliveries:
    """on_deliver for an EsmeSession: records and answers ESME_ROK."""

    def __init__(self) -> None:
        self.pdus: list[DeliverSm | DataSm] = []
        self._changed = asyncio.Event()

    async def __call__(self, pdu: DeliverSm | DataSm) -> CommandStatus:
        self.pdus.append(pdu)
        self._changed.set()
        return S.ESME_ROK

    async def wait_for(self, count: int) -> None:
        while len(self.pdus) < count:
            self._changed.clear()
            await self._changed.wait()


def esme(simulator: Simulator, **kwargs: Any) -> EsmeSession:
    values: dict[str, Any] = {"system_id": "smsgate", "password": "secret", "timeouts": FAST}
    return EsmeSession("127.0.0.1", simulator.port, **{**values, **kwargs})


def submit(session: EsmeSession, short_message: bytes, **fields: Any) -> SubmitSm:
    values: dict[str, Any] = {
        "source_addr_ton": 1,
        "source_addr": "15005550006",
        "dest_addr_ton": 1,
        "destination_addr": TO.removeprefix("+"),
        "registered_delivery": 1,
        "short_message": short_message,
    }
    return SubmitSm(sequence_number=session.next_sequence(), **{**values, **fields})


async def read_pdu(reader: asyncio.StreamReader) -> p.Pdu:
    header = await reader.readexactly(4)
    (length,) = struct.unpack(">I", header)
    return decode(header + await reader.readexactly(length - 4))


# -- over sockets -------------------------------------------------------------------


def test_a_garbage_pdu_gets_generic_nack_and_the_session_stays_up() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator:
            reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)

            async def receive() -> p.Pdu:
                return await read_pdu(reader)

            writer.write(
                encode(p.BindTransceiver(sequence_number=1, system_id="smsgate", password="secret"))
            )
            assert (await receive()).command_status == S.ESME_ROK
            writer.write(struct.pack(">IIII", 16, 0x0000ABCD, 0, 2))  # no such command
            assert await receive() == p.GenericNack(
                sequence_number=2, command_status=S.ESME_RINVCMDID
            )
            writer.write(b"\x00\x00\x00\x11" + encode(p.EnquireLink(sequence_number=3))[4:] + b"!")
            nack = await receive()  # enquire_link with a stray octet: a bad body, not framing
            assert (nack.sequence_number, nack.command_status) == (3, S.ESME_RINVCMDLEN)
            writer.write(
                encode(p.SubmitSm(sequence_number=4, destination_addr="1", short_message=b"x"))
            )
            answer = await receive()
            assert isinstance(answer, p.SubmitSmResp)
            assert answer.command_status == S.ESME_ROK
            writer.close()
            await writer.wait_closed()
        assert simulator.submitted == 1

    run(scenario)


def test_unknown_system_id_and_wrong_password_are_refused() -> None:
    async def scenario() -> None:
        async with Simulator(credentials={"acme": "pw"}) as simulator:
            for system_id, password, status in (
                ("smsgate", "secret", S.ESME_RINVSYSID),
                ("acme", "nope", S.ESME_RINVPASWD),
            ):
                with pytest.raises(BindError) as caught:
                    async with esme(simulator, system_id=system_id, password=password):
                        pytest.fail("bound with bad credentials")
                assert caught.value.status == status
            async with esme(simulator, system_id="acme", password="pw") as session:
                assert session.is_bound
        assert (simulator.binds, simulator.binds_refused) == (3, 2)

    run(scenario)


@pytest.mark.parametrize("how", ["udh", "sar"])
def test_parts_out_of_order_join_in_the_inbox_and_each_gets_a_receipt(how: str) -> None:
    text = "Ünïcödé → " * 10  # 100 UCS-2 units: two parts of 67 and 33
    units = encode_ucs2(text)
    halves = [units[:134], units[134:]]

    def part(session: EsmeSession, seqnum: int) -> SubmitSm:
        payload = halves[seqnum - 1]
        if how == "udh":
            return submit(
                session,
                add_concat_udh(payload, 200, 2, seqnum),
                esm_class=ESM_CLASS_UDHI,
                data_coding=8,
            )
        tlvs = (
            Tlv.from_int(Tag.sar_msg_ref_num, 513),
            Tlv.from_int(Tag.sar_total_segments, 2),
            Tlv.from_int(Tag.sar_segment_seqnum, seqnum),
        )
        return submit(session, payload, data_coding=8, tlvs=tlvs)

    async def scenario() -> None:
        deliveries = Deliveries()
        async with Simulator() as simulator, esme(simulator, on_deliver=deliveries) as session:
            second = await session.submit(part(session, 2))
            assert simulator.handset(TO) == []  # half a message shows nothing yet
            first = await session.submit(part(session, 1))
            await deliveries.wait_for(2)
        assert isinstance(first, p.SubmitSmResp)
        assert isinstance(second, p.SubmitSmResp)
        (received,) = simulator.handset(TO)
        assert received.text == text
        assert received.message_ids == (first.message_id, second.message_id)
        assert received.sender == "+15005550006"
        receipts = [receipt_from_pdu(pdu) for pdu in deliveries.pdus]
        assert {r.message_id for r in receipts if r} == {first.message_id, second.message_id}

    run(scenario)


def test_registered_delivery_decides_whether_a_receipt_comes() -> None:
    async def scenario() -> None:
        deliveries = Deliveries()
        async with Simulator() as simulator, esme(simulator, on_deliver=deliveries) as session:
            await session.submit(submit(session, b"none", registered_delivery=0))
            await session.submit(submit(session, b"fail only", registered_delivery=2))
            failed = await session.submit(
                submit(session, b"x", registered_delivery=2, destination_addr="15005550002")
            )
            await deliveries.wait_for(1)
        assert isinstance(failed, p.SubmitSmResp)
        assert [m.text for m in simulator.handset(TO)] == ["none", "fail only"]
        (pdu,) = deliveries.pdus
        receipt = receipt_from_pdu(pdu)
        assert receipt is not None
        assert (receipt.message_id, receipt.state) == (
            failed.message_id,
            MessageState.UNDELIVERABLE,
        )
        assert simulator.receipts_sent == 1

    run(scenario)


def test_receipts_wait_for_a_receiver_bind() -> None:
    async def scenario() -> None:
        deliveries = Deliveries()
        async with Simulator() as simulator:
            # A transmitter bind submits; no receiver is bound yet to take the receipt.
            reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
            bind = p.BindTransmitter(sequence_number=1, system_id="smsgate", password="secret")
            writer.write(encode(bind))
            assert (await read_pdu(reader)).command_status == S.ESME_ROK
            writer.write(
                encode(
                    p.SubmitSm(
                        sequence_number=2,
                        destination_addr="1",
                        short_message=b"hi",
                        registered_delivery=1,
                    )
                )
            )
            answer = await read_pdu(reader)
            assert isinstance(answer, p.SubmitSmResp)
            assert simulator.receipts_sent == 0
            async with esme(simulator, on_deliver=deliveries):
                await deliveries.wait_for(1)
            writer.close()
            await writer.wait_closed()
        receipt = receipt_from_pdu(deliveries.pdus[0])
        assert receipt is not None
        assert receipt.message_id == answer.message_id
        assert receipt.text == "hi"

    run(scenario)


def test_send_inbound_splits_long_unicode_with_udh() -> None:
    body = "Привет! " * 20  # 160 UCS-2 units: three parts

    async def scenario() -> None:
        deliveries = Deliveries()
        async with Simulator() as simulator, esme(simulator, on_deliver=deliveries):
            statuses = await simulator.send_inbound("+447700900123", "+15005550006", body)
        assert statuses == (S.ESME_ROK,) * 3
        pieces = []
        references = set()
        for seqnum, pdu in enumerate(deliveries.pdus, 1):
            assert isinstance(pdu, DeliverSm)
            assert (pdu.source_addr_ton, pdu.source_addr) == (1, "447700900123")
            assert pdu.destination_addr == "15005550006"
            assert pdu.data_coding == 8
            assert pdu.esm_class & ESM_CLASS_UDHI
            concat, payload = parse_udh(pdu.short_message)
            assert concat is not None
            assert (concat.total, concat.seqnum) == (3, seqnum)
            references.add(concat.reference)
            pieces.append(payload)
        assert len(references) == 1
        assert decode_ucs2(b"".join(pieces)) == body

    run(scenario)


def test_send_inbound_without_a_receiver_times_out() -> None:
    async def scenario() -> None:
        async with Simulator(timeouts=SmppTimeouts(response=0.05)) as simulator:
            with pytest.raises(TimeoutError):
                await simulator.send_inbound("+447700900123", "+15005550006", "hi")

    run(scenario)


def test_pause_holds_answers_and_records_arrivals() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, esme(simulator) as session:
            simulator.pause()
            held = asyncio.create_task(session.submit(submit(session, b"wait")))
            await simulator.wait_until(lambda: simulator.submitted == 1)
            (record,) = simulator.submits
            assert (record.status, record.message_id) == (None, None)
            assert not held.done()
            simulator.resume()
            answer = await held
        assert isinstance(answer, p.SubmitSmResp)
        (record,) = simulator.submits
        assert (record.status, record.message_id) == (S.ESME_ROK, answer.message_id)

    run(scenario)


def test_serve_simulator_runs_until_cancelled() -> None:
    async def scenario() -> None:
        ready: asyncio.Future[Simulator] = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(serve_simulator(port=0, on_ready=ready.set_result))
        simulator = await ready
        async with esme(simulator) as session:
            answer = await session.submit(submit(session, b"hi"))
            assert answer.command_status == S.ESME_ROK
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server

    run(scenario)


def test_smpplib_binds_submits_and_gets_a_receipt() -> None:
    """Interop: smpplib, an independent blocking SMPP client, in a thread."""

    async def scenario() -> None:
        async with Simulator() as simulator:
            sent, received = await asyncio.to_thread(
                smpplib_round_trip, simulator.port, b"hello from smpplib"
            )
        assert len(sent) == 1
        (pdu,) = received
        assert pdu.esm_class & 0x04  # SMSC delivery receipt
        assert pdu.receipted_message_id.rstrip(b"\x00") == sent[0]
        assert b"stat:DELIVRD" in pdu.short_message
        (message,) = simulator.handset(TO)
        assert message.text == "hello from smpplib"
        assert simulator.receipts_sent == 1

    run(scenario)


# -- pure parts ---------------------------------------------------------------------


def test_rules_first_match_wins() -> None:
    rules = [Rule("+1500555000", "no_receipt"), *DEFAULT_RULES]
    assert match_rule(rules, "+15005550001").outcome == "no_receipt"
    assert match_rule(DEFAULT_RULES, "+15005550001").status == S.ESME_RINVDSTADR
    assert match_rule(DEFAULT_RULES, "+15005550002").err == "001"
    assert match_rule(DEFAULT_RULES, "+15005550004").status == S.ESME_RTHROTTLED
    assert match_rule(DEFAULT_RULES, "+14155552671") is DELIVER_ALL
    assert match_rule([], "+1") is DELIVER_ALL


@pytest.mark.parametrize(
    "kwargs",
    [
        {"outcome": "rejected"},
        {"outcome": "delivered", "status": S.ESME_RSYSERR},
        {"outcome": "lost"},
        {"outcome": "delivered", "delay": -1.0},
    ],
)
def test_rules_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Rule("+1", **kwargs)


def test_handsets_join_gsm_parts_across_an_escape() -> None:
    handsets = Handsets()
    now = datetime(2026, 1, 1)
    # "€" is 0x1B 0x65 in GSM-7: the escape ends part 1, its code starts part 2.
    parts = [b"price \x1b", b"\x655"]
    for seqnum in (2, 1):
        done = handsets.receive(
            sender="+1",
            recipient="+2",
            short_message=add_concat_udh(parts[seqnum - 1], 9, 2, seqnum),
            esm_class=ESM_CLASS_UDHI,
            data_coding=0,
            tlvs=(),
            message_id=f"id{seqnum}",
            at=now,
        )
    assert done is not None
    assert done.text == "price €5"
    assert done.message_ids == ("id1", "id2")
    assert handsets.inbox("+2") == [done]
    assert handsets.inbox("+3") == []

"""SmppConnector against the Simulator, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.delivery.smpp import STATUS_ERRORS, SmppConnector, SmppConnectorConfig
from smsgate.domain.encoding import decode_gsm7, decode_ucs2
from smsgate.domain.ids import AccountId, MessageId
from smsgate.errors import ConfigError, DeliveryError, ErrorCode
from smsgate.simulator.rules import DEFAULT_RULES, Rule
from smsgate.simulator.smsc import Simulator
from smsgate.smpp import (
    ESM_CLASS_UDHI,
    CommandStatus,
    DataSm,
    DeliverSm,
    DeliveryReceipt,
    MessageState,
    Tag,
    parse_udh,
)
from smsgate.smpp.esme import SmppTimeouts
from smsgate.smpp.time_format import parse_relative_time
from smsgate.smpp.tlv import get_int
from smsgate.store.queue import ClaimedMessage

S = CommandStatus
FAST = SmppTimeouts(connect=2, bind=2, response=2, enquire_link_interval=30, unbind=2)
TO = "+14155552671"
FROM = "+15005550006"


def run(scenario: Callable[[], Awaitable[None]], deadline: float = 10.0) -> None:
    async def main() -> None:
        async with asyncio.timeout(deadline):
            await scenario()

    asyncio.run(main())


def message(body: str = "hello", to: str = TO, number: int = 1) -> ClaimedMessage:
    return ClaimedMessage(
        MessageId(f"SM{number:032x}"),
        AccountId("ACtest"),
        to,
        FROM,
        body,
        "GSM-7",
        1,
        False,
        1,
        datetime.now(UTC) + timedelta(hours=1),
    )


class Callbacks:
    """Records what the connector hands over; `fail_receipts` makes on_receipt raise."""

    def __init__(self, fail_receipts: int = 0) -> None:
        self.receipts: list[DeliveryReceipt] = []
        self.inbound: list[DeliverSm | DataSm] = []
        self.receipt_calls = 0
        self.fail_receipts = fail_receipts
        self._changed = asyncio.Event()

    async def on_receipt(self, name: str, receipt: DeliveryReceipt) -> None:
        assert name == "sim"
        self.receipt_calls += 1
        if self.receipt_calls <= self.fail_receipts:
            raise RuntimeError("the store is down")
        self.receipts.append(receipt)
        self._changed.set()

    async def on_inbound(self, name: str, pdu: DeliverSm | DataSm) -> None:
        assert name == "sim"
        self.inbound.append(pdu)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self._changed.clear()
            await self._changed.wait()


def settings(simulator: Simulator, **overrides: Any) -> SmppConnectorConfig:
    values: dict[str, Any] = {
        "timeouts": FAST,
        "reconnect_base": 0.05,
        "reconnect_cap": 0.2,
        **overrides,
    }
    return SmppConnectorConfig("sim", "127.0.0.1", simulator.port, "smsgate", "secret", **values)


@asynccontextmanager
async def bound(
    simulator: Simulator, callbacks: Callbacks | None = None, **overrides: Any
) -> AsyncIterator[SmppConnector]:
    callbacks = callbacks or Callbacks()
    connector = SmppConnector(
        settings(simulator, **overrides),
        on_receipt=callbacks.on_receipt,
        on_inbound=callbacks.on_inbound,
        rng=random.Random(7),
    )
    async with connector:
        await connector.wait_bound()
        yield connector


@pytest.mark.parametrize("bind_mode", ["transceiver", "transmitter_receiver"])
def test_submit_returns_the_message_id_and_the_receipt_follows(bind_mode: str) -> None:
    async def scenario() -> None:
        callbacks = Callbacks()
        async with (
            Simulator() as simulator,
            bound(simulator, callbacks, bind_mode=bind_mode) as connector,
        ):
            assert connector.is_bound
            ids = await connector.submit(message("hello"))
            await callbacks.wait_for(lambda: len(callbacks.receipts) == 1)
            assert connector.submitted == 1
            assert connector.errors == 0
            assert connector.window_in_use == 0
        (receipt,) = callbacks.receipts
        assert receipt.message_id == ids[0]
        assert receipt.state is MessageState.DELIVERED
        assert receipt.err == "000"
        (record,) = simulator.submits
        assert (record.message_id, record.destination) == (ids[0], TO)
        assert record.pdu.source_addr == FROM.removeprefix("+")
        assert record.pdu.registered_delivery == 1
        assert [m.text for m in simulator.handset(TO)] == ["hello"]

    run(scenario)


def test_submit_sm_carries_what_is_left_of_the_validity_period() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator) as connector:
            await connector.submit(message("x" * 200))  # two segments, the same validity
        records = simulator.submits
        assert len(records) == 2
        for record in records:
            left = parse_relative_time(record.pdu.validity_period)
            assert 3590 <= left <= 3600  # the message was made valid for an hour

    run(scenario)


def test_bad_credentials_are_retried_with_backoff_and_submit_fails_retryably() -> None:
    async def scenario() -> None:
        async with Simulator(credentials={"smsgate": "other"}) as simulator:
            connector = SmppConnector(
                settings(simulator),
                on_receipt=Callbacks().on_receipt,
                on_inbound=Callbacks().on_inbound,
                rng=random.Random(1),
            )
            async with connector:
                await simulator.wait_until(lambda: simulator.binds_refused >= 4)
                assert connector.bind_failures >= 3
                assert not connector.is_bound
                assert connector.last_error is not None
                assert "ESME_RINVPASWD" in connector.last_error
                with pytest.raises(DeliveryError) as caught:
                    await connector.submit(message())
        error = caught.value
        assert error.retryable
        assert error.code == ErrorCode.UNREACHABLE
        assert "ESME_RINVPASWD" in error.detail
        assert connector.errors == 1
        # Equal jitter: the wait after failure n is at least half of 0.05 * 2**(n-1).
        gaps = [b - a for a, b in zip(simulator.bind_times, simulator.bind_times[1:], strict=False)]
        assert gaps[0] >= 0.025
        assert gaps[1] >= 0.05
        assert gaps[2] >= 0.1

    run(scenario)


def test_full_window_makes_the_third_submit_wait_then_complete() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator, window=2) as connector:
            simulator.slow_responses(0.2)
            submits = [
                asyncio.create_task(connector.submit(message(f"m{i}", number=i))) for i in range(3)
            ]
            await simulator.wait_until(lambda: simulator.submitted == 2)
            assert connector.window_in_use == 2
            assert not any(task.done() for task in submits)
            results = await asyncio.gather(*submits)
            assert simulator.submitted == 3
            assert all(len(ids) == 1 for ids in results)

    run(scenario)


def test_throttled_submits_are_retryable_then_traffic_recovers() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator) as connector:
            simulator.throttle(3)
            for _ in range(3):
                with pytest.raises(DeliveryError) as caught:
                    await connector.submit(message())
                assert caught.value.retryable
                assert caught.value.code == ErrorCode.QUEUE_OVERFLOW
                assert caught.value.carrier_code == S.ESME_RTHROTTLED
                assert caught.value.carrier_text == "ESME_RTHROTTLED"
            assert len(await connector.submit(message())) == 1
            assert (connector.errors, connector.submitted) == (3, 1)

    run(scenario)


def test_dropped_connection_fails_outstanding_submits_then_rebinds() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator, window=8) as connector:
            acknowledged = [await connector.submit(message(f"early {i}")) for i in range(3)]
            simulator.pause()
            outstanding = [
                asyncio.create_task(connector.submit(message(f"late {i}"))) for i in range(5)
            ]
            await simulator.wait_until(lambda: simulator.submitted == 8)
            simulator.drop_connections()
            results = await asyncio.gather(*outstanding, return_exceptions=True)
            for result in results:
                assert isinstance(result, DeliveryError)
                assert result.retryable
                assert "outcome is unknown" in result.detail
            simulator.resume()
            await simulator.wait_until(lambda: simulator.binds == 2)
            await connector.wait_bound()
            await connector.submit(message("after"))
        texts = [record.pdu.short_message.decode() for record in simulator.submits]
        # Nothing is resubmitted behind the dispatcher's back: each text went once.
        assert sorted(texts) == sorted(
            [f"early {i}" for i in range(3)] + [f"late {i}" for i in range(5)] + ["after"]
        )
        assert len(acknowledged) == 3

    run(scenario)


GSM_LONG = "Hello {world}! " * 14  # 210 chars, 14 escapes: 224 septets, 2 parts
UCS2_LONG = "Привет, мир! 👋 " * 9  # 144 code points with surrogates: 3 parts


@pytest.mark.parametrize("concatenation", ["udh", "sar"])
@pytest.mark.parametrize(("body", "data_coding", "parts"), [(GSM_LONG, 0, 2), (UCS2_LONG, 8, 3)])
def test_long_messages_arrive_as_segments_and_join_in_the_handset(
    concatenation: str, body: str, data_coding: int, parts: int
) -> None:
    async def scenario() -> None:
        async with (
            Simulator() as simulator,
            bound(simulator, concatenation=concatenation) as connector,
        ):
            ids = await connector.submit(message(body))
        assert len(ids) == parts
        records = simulator.submits
        assert [r.message_id for r in records] == list(ids)
        decode = decode_gsm7 if data_coding == 0 else decode_ucs2
        chunks = []
        references = set()
        for seqnum, record in enumerate(records, 1):
            pdu = record.pdu
            assert pdu.data_coding == data_coding
            if concatenation == "udh":
                assert pdu.esm_class & ESM_CLASS_UDHI
                assert pdu.tlvs == ()
                concat, payload = parse_udh(pdu.short_message)
                assert concat is not None
                assert not concat.is_16bit
                assert (concat.total, concat.seqnum) == (parts, seqnum)
                references.add(concat.reference)
            else:
                assert not pdu.esm_class & ESM_CLASS_UDHI
                payload = pdu.short_message
                assert get_int(pdu.tlvs, Tag.sar_total_segments) == parts
                assert get_int(pdu.tlvs, Tag.sar_segment_seqnum) == seqnum
                reference = get_int(pdu.tlvs, Tag.sar_msg_ref_num)
                assert reference is not None
                references.add(reference)
            chunks.append(decode(payload))
        assert len(references) == 1  # one reference number for the whole message
        assert "".join(chunks) == body
        (received,) = simulator.handset(TO)
        assert received.text == body
        assert received.message_ids == ids
        assert received.sender == FROM

    run(scenario)


CASES = [
    ("+15005550001", S.ESME_RINVDSTADR, False, ErrorCode.UNKNOWN_DESTINATION),
    ("+15005550004", S.ESME_RTHROTTLED, True, ErrorCode.QUEUE_OVERFLOW),
    ("+19990000001", S.ESME_RINVSRCADR, False, ErrorCode.INVALID_FROM),
    ("+19990000002", S.ESME_RSUBMITFAIL, False, ErrorCode.CARRIER_FILTERED),
    ("+19990000003", S.ESME_RINVMSGLEN, False, ErrorCode.BODY_TOO_LONG),
    ("+19990000004", S.ESME_RMSGQFUL, True, ErrorCode.QUEUE_OVERFLOW),
    ("+19990000005", S.ESME_RSYSERR, True, ErrorCode.UNREACHABLE),
    ("+19990000006", 0x104, False, ErrorCode.INVALID_PARAMETER),  # ESME_RINVDCS (SMPP 5.0)
    ("+19990000007", 0x400, False, ErrorCode.UNKNOWN_ERROR),  # a vendor status
]


@pytest.mark.parametrize(("to", "status", "retryable", "code"), CASES)
def test_refusals_map_to_delivery_errors(
    to: str, status: int, retryable: bool, code: ErrorCode
) -> None:
    rules = [Rule(to, "rejected", status=s) for to, s, _, _ in CASES if to.startswith("+1999")]

    async def scenario() -> None:
        async with (
            Simulator(rules=[*rules, *DEFAULT_RULES]) as simulator,
            bound(simulator) as connector,
        ):
            with pytest.raises(DeliveryError) as caught:
                await connector.submit(message(to=to))
        error = caught.value
        assert (error.retryable, error.code, error.carrier_code) == (retryable, code, status)
        assert to in error.detail
        assert STATUS_ERRORS.get(status, (False, ErrorCode.UNKNOWN_ERROR)) == (retryable, code)

    run(scenario)


def test_response_timeout_is_retryable_with_unknown_outcome() -> None:
    async def scenario() -> None:
        timeouts = SmppTimeouts(connect=2, bind=2, response=0.2, enquire_link_interval=30)
        async with Simulator() as simulator, bound(simulator, timeouts=timeouts) as connector:
            simulator.slow_responses(1.0)
            with pytest.raises(DeliveryError) as caught:
                await connector.submit(message())
        assert caught.value.retryable
        assert caught.value.code == ErrorCode.UNREACHABLE
        assert "outcome is unknown" in caught.value.detail

    run(scenario)


def test_undelivered_and_missing_receipts_follow_the_magic_numbers() -> None:
    async def scenario() -> None:
        callbacks = Callbacks()
        async with Simulator() as simulator, bound(simulator, callbacks) as connector:
            (silent,) = await connector.submit(message(to="+15005550003"))
            (undelivered,) = await connector.submit(message(to="+15005550002"))
            await callbacks.wait_for(lambda: len(callbacks.receipts) == 1)
        (receipt,) = callbacks.receipts
        assert receipt.message_id == undelivered != silent
        assert receipt.state is MessageState.UNDELIVERABLE
        assert receipt.err == "001"

    run(scenario)


def test_a_failing_receipt_callback_gets_the_receipt_again() -> None:
    async def scenario() -> None:
        callbacks = Callbacks(fail_receipts=1)
        async with Simulator() as simulator, bound(simulator, callbacks) as connector:
            (sent,) = await connector.submit(message())
            await callbacks.wait_for(lambda: len(callbacks.receipts) == 1)
        assert callbacks.receipt_calls == 2  # ESME_RX_T_APPN, then delivered again
        assert callbacks.receipts[0].message_id == sent
        assert simulator.receipts_sent == 1

    run(scenario)


def test_inbound_messages_reach_on_inbound() -> None:
    async def scenario() -> None:
        callbacks = Callbacks()
        async with Simulator() as simulator, bound(simulator, callbacks):
            statuses = await simulator.send_inbound("+14155550100", FROM, "STOP")
            assert statuses == (S.ESME_ROK,)
        (pdu,) = callbacks.inbound
        assert isinstance(pdu, DeliverSm)
        assert (pdu.source_addr, pdu.destination_addr) == ("14155550100", FROM.removeprefix("+"))
        assert pdu.short_message == b"STOP"

    run(scenario)


def test_tps_cap_spaces_submits() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator, tps=200.0) as connector:
            await asyncio.gather(*(connector.submit(message(number=i)) for i in range(40)))
        times = simulator.submit_times
        assert len(times) == 40
        assert times[-1] - times[0] >= 39 / 200 * 0.95

    run(scenario)


def test_graceful_aclose_lets_outstanding_submits_finish() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator:
            connector = SmppConnector(
                settings(simulator),
                on_receipt=Callbacks().on_receipt,
                on_inbound=Callbacks().on_inbound,
            )
            await connector.start()
            await connector.wait_bound()
            simulator.slow_responses(0.1)
            submits = [asyncio.create_task(connector.submit(message(number=i))) for i in range(3)]
            await simulator.wait_until(lambda: simulator.submitted == 3)
            await connector.aclose()
            assert all(len(task.result()) == 1 for task in submits)
            assert not connector.is_bound
            with pytest.raises(DeliveryError, match="closing") as caught:
                await connector.submit(message())
            assert caught.value.retryable

    run(scenario)


def test_cancelled_submit_leaves_the_window_usable() -> None:
    async def scenario() -> None:
        async with Simulator() as simulator, bound(simulator, window=1) as connector:
            simulator.pause()
            stuck = asyncio.create_task(connector.submit(message("stuck")))
            await simulator.wait_until(lambda: simulator.submitted == 1)
            stuck.cancel()  # as the dispatcher's submit_timeout would
            with pytest.raises(asyncio.CancelledError):
                await stuck
            simulator.resume()
            assert len(await connector.submit(message("next"))) == 1
            assert connector.window_in_use == 0

    run(scenario)


@pytest.mark.parametrize(
    ("overrides", "mentions"),
    [
        ({"port": 0}, "port"),
        ({"window": 0}, "window"),
        ({"tps": 0.0}, "tps"),
        ({"bind_mode": "both"}, "bind_mode"),
        ({"concatenation": "mms"}, "concatenation"),
        ({"system_id": "x" * 16}, "system_id"),
        ({"password": "123456789"}, "password"),
        ({"dest_ton": 256}, "dest_ton"),
        ({"reconnect_base": 5.0, "reconnect_cap": 1.0}, "reconnect"),
    ],
)
def test_config_is_checked_on_construction(overrides: dict[str, Any], mentions: str) -> None:
    values: dict[str, Any] = {
        "name": "c",
        "host": "127.0.0.1",
        "port": 2775,
        "system_id": "gw",
        "password": "pw",
        **overrides,
    }
    with pytest.raises(ConfigError, match=mentions):
        SmppConnectorConfig(**values)


def test_password_stays_out_of_repr() -> None:
    config = SmppConnectorConfig("c", "127.0.0.1", 2775, "gw", "hunter2")
    assert "hunter2" not in repr(config)


def test_an_inbound_address_longer_than_any_number_is_refused_for_good() -> None:
    async def scenario() -> None:
        callbacks = Callbacks()
        async with Simulator() as simulator, bound(simulator, callbacks):
            statuses = await simulator.send_inbound("+1234567890123456789", FROM, "hi")
            assert statuses == (S.ESME_RINVSRCADR,)
            statuses = await simulator.send_inbound("+14155550100", "+1234567890123456789", "hi")
            assert statuses == (S.ESME_RINVDSTADR,)
        assert callbacks.inbound == []

    run(scenario)

"""Pace, pushback and failover end to end: real SMPP to simulators on loopback, a real store.

Rates are measured from the simulator's own arrival timestamps; the bounds are generous
and no test sleeps to synchronise (each waits on a condition with a deadline).
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from smsgate.domain.connectors import ConnectorSpec
from smsgate.domain.routing import RouteRule
from smsgate.simulator.smsc import SubmitRecord
from smsgate.smpp import CommandStatus
from tests.delivery.flow_harness import SimulatorProcess, SimulatorThread, running_flow, until

SHORT_CODE = "12345"  # 100 messages a second by default: above the connectors' caps here


def spec(name: str, port: int, **extra: object) -> ConnectorSpec:
    return ConnectorSpec(
        name=name,
        kind="simulator",
        host="127.0.0.1",
        port=port,
        system_id="smsgate",
        password="secret",
        **extra,  # type: ignore[arg-type]
    )


def max_in_any_second(times: list[float]) -> int:
    """The most arrivals in any half-open window [t, t + 1 s)."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_connector_capped_at_50_tps_sends_1000_queued_messages_at_50_per_second(
    database_url: str,
) -> None:
    # Arrival times are the measure, so the carrier runs apart from the gateway's threads.
    carrier = SimulatorProcess(receipt_delay=0.01).start()
    try:
        asyncio.run(_send_1000(database_url, carrier))
    finally:
        carrier.stop()
    times = [record.at for record in carrier.submits()]
    assert len(times) == 1000, "each message was submitted exactly once"
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 45 <= rate <= 55, f"{rate:.1f} submit_sm/s"
    assert max_in_any_second(times) <= 50


async def _send_1000(database_url: str, carrier: SimulatorProcess) -> None:
    async with running_flow(database_url) as flow:
        await flow.declare(
            [spec("capped", carrier.port, tps=50.0)], [RouteRule("all", ("capped",))]
        )
        await until(lambda: flow.is_bound("capped"), deadline=5)
        ids = await flow.queue([f"message {i}" for i in range(1000)], sender=SHORT_CODE)
        await until(lambda: flow.all_in(ids, ("sent", "delivered")), deadline=60)


def accepted(records: list[SubmitRecord]) -> list[SubmitRecord]:
    return [record for record in records if record.message_id is not None]


def test_smsc_throttling_slows_the_connector_which_then_recovers(database_url: str) -> None:
    carrier = SimulatorThread(receipt_delay=0.01).start()
    try:
        asyncio.run(_throttled(database_url, carrier))
        records = carrier.submits()
    finally:
        carrier.stop()
    throttled = [r for r in records if r.status == CommandStatus.ESME_RTHROTTLED]
    assert len(throttled) == 3
    # In the second after the SMSC pushed back, the connector went at half its 20 tps
    # (recovering by a tenth a second), well under its cap.
    after = [r.at for r in accepted(records) if throttled[-1].at <= r.at < throttled[-1].at + 1]
    assert len(after) <= 15
    bodies = [r.pdu.short_message for r in accepted(records)]
    assert len(bodies) == len(set(bodies)) == 40, "every message went once, none twice"


async def _throttled(database_url: str, carrier: SimulatorThread) -> None:
    async with running_flow(database_url, throttle_recovery=0.1) as flow:
        await flow.declare([spec("c", carrier.port, tps=20.0)], [RouteRule("all", ("c",))])
        await until(lambda: flow.is_bound("c"), deadline=5)
        carrier.throttle(3)
        ids = await flow.queue([f"message {i}" for i in range(40)], sender=SHORT_CODE)
        await until(lambda: flow.connector("c").pushbacks >= 1, deadline=10)
        now = asyncio.get_running_loop().time()
        assert flow.connector("c").tps_limit(now) < 15  # halved to 10, growing 2 a second
        await until(lambda: flow.all_in(ids, ("sent", "delivered")), deadline=30)
        # It recovers gradually: back to the full 20 tps 5 s after the pushback.
        await until(
            lambda: flow.connector("c").tps_limit(asyncio.get_running_loop().time()) == 20,
            deadline=10,
        )
        retried = await flow.events_with_code(ids, 30001)
        assert retried, "the throttled messages were retried with backoff"


def test_the_parts_of_a_throttled_long_message_stay_together_and_in_order(
    database_url: str,
) -> None:
    body = "".join(f"part of a long message {i:03d} " for i in range(15))  # 3 segments
    carrier = SimulatorThread(receipt_delay=0.01).start()
    try:
        asyncio.run(_throttle_mid_message(database_url, carrier, body))
        records = carrier.submits()
        inbox = carrier.handset("+14155552671")
    finally:
        carrier.stop()
    parts = accepted(records)
    assert [p.pdu.short_message[5] for p in parts] == [1, 2, 3]  # UDH seqnum, in order
    assert len({p.pdu.short_message[3] for p in parts}) == 1  # one reference for all
    assert [r.status for r in records[1:3]] == [CommandStatus.ESME_RTHROTTLED] * 2
    assert [message.text for message in inbox] == [body]


async def _throttle_mid_message(database_url: str, carrier: SimulatorThread, body: str) -> None:
    async with running_flow(database_url) as flow:
        await flow.declare([spec("c", carrier.port, tps=2.0)], [RouteRule("all", ("c",))])
        await until(lambda: flow.is_bound("c"), deadline=5)
        [message_id] = await flow.queue([body], sender=SHORT_CODE)
        await until(lambda: len(carrier.submits()) == 1, deadline=5)
        carrier.throttle(2)  # parts go 0.5 s apart: the next two answers are "throttled"
        await until(lambda: flow.all_in([message_id], ("sent", "delivered")), deadline=20)
        assert await flow.attempts(message_id) == 1, "part 1 was not sent again"


def test_a_route_fails_over_to_its_second_connector_and_back(database_url: str) -> None:
    first = SimulatorThread(receipt_delay=0.01).start()
    second = SimulatorThread(receipt_delay=0.01).start()
    try:
        seen = asyncio.run(_fail_over(database_url, first, second))
    finally:
        first.stop()
        second.stop()
    assert [sorted(batch) for batch in seen] == [
        sorted(f"{phase} {i}".encode() for i in range(10))
        for phase in ("before", "during", "after")
    ]


async def _fail_over(
    database_url: str, first: SimulatorThread, second: SimulatorThread
) -> list[list[bytes]]:
    """Which bodies each carrier accepted: the first, then the second while the first is
    down, then the first again once it is back."""
    async with running_flow(database_url) as flow:
        await flow.declare(
            [spec("a", first.port), spec("b", second.port)], [RouteRule("ab", ("a", "b"))]
        )
        await until(lambda: flow.is_bound("a") and flow.is_bound("b"), deadline=5)
        before = await flow.queue([f"before {i}" for i in range(10)], sender=SHORT_CODE)
        await until(lambda: flow.all_in(before, ("sent", "delivered")), deadline=10)
        on_first = [r.pdu.short_message for r in accepted(first.submits())]

        await asyncio.to_thread(first.stop)
        await until(lambda: not flow.is_bound("a"), deadline=10)
        during = await flow.queue([f"during {i}" for i in range(10)], sender=SHORT_CODE)
        await until(lambda: flow.all_in(during, ("sent", "delivered")), deadline=10)

        await asyncio.to_thread(first.start)  # the same port: the connector rebinds itself
        await until(lambda: flow.is_bound("a"), deadline=10)
        after = await flow.queue([f"after {i}" for i in range(10)], sender=SHORT_CODE)
        await until(lambda: flow.all_in(after, ("sent", "delivered")), deadline=10)
        on_second = [r.pdu.short_message for r in accepted(second.submits())]
        back_on_first = [r.pdu.short_message for r in accepted(first.submits())]
        assert await flow.connectors_used(before) == {"a"}
        assert await flow.connectors_used(during) == {"b"}
        assert await flow.connectors_used(after) == {"a"}
    return [on_first, on_second, back_on_first]


def test_each_sender_waits_its_turn_in_order_without_failing(database_url: str) -> None:
    carrier = SimulatorThread(receipt_delay=0.01).start()
    try:
        asyncio.run(_two_long_codes(database_url, carrier))
        records = accepted(carrier.submits())
    finally:
        carrier.stop()
    for sender in ("14155550100", "14155550101"):
        mine = [r for r in records if r.pdu.source_addr == sender]
        assert [r.pdu.short_message for r in mine] == [f"{sender} {i}".encode() for i in range(4)]
        gaps = [b.at - a.at for a, b in itertools.pairwise(mine)]
        assert min(gaps) >= 0.95, f"a long code sends one message a second: {gaps}"
    # The two senders are paced apart, not one after the other.
    assert records[-1].at - records[0].at < 6


async def _two_long_codes(database_url: str, carrier: SimulatorThread) -> None:
    async with running_flow(database_url) as flow:
        await flow.declare([spec("c", carrier.port)], [RouteRule("all", ("c",))])
        await until(lambda: flow.is_bound("c"), deadline=5)
        ids = []
        for sender in ("+14155550100", "+14155550101"):
            bodies = [f"{sender[1:]} {i}" for i in range(4)]
            ids += await flow.queue(bodies, sender=sender)
        await until(lambda: flow.all_in(ids, ("sent", "delivered")), deadline=20)
        assert not await flow.events_with_code(ids, 30001), "none failed or was retried"


def test_stopping_a_carrier_mid_stream_loses_nothing(database_url: str) -> None:
    first = SimulatorThread(receipt_delay=0.01).start()
    second = SimulatorThread(receipt_delay=0.01).start()
    try:
        on_first = asyncio.run(_stop_mid_stream(database_url, first, second))
        on_second = [r.pdu.short_message for r in accepted(second.submits())]
    finally:
        first.stop()
        second.stop()
    everything = on_first + on_second  # each message once: none lost, none sent twice
    assert sorted(everything) == sorted(f"m {i}".encode() for i in range(60))
    assert on_first
    assert on_second


async def _stop_mid_stream(
    database_url: str, first: SimulatorThread, second: SimulatorThread
) -> list[bytes]:
    async with running_flow(database_url) as flow:
        await flow.declare(
            [spec("a", first.port, tps=30.0), spec("b", second.port, tps=30.0)],
            [RouteRule("ab", ("a", "b"))],
        )
        await until(lambda: flow.is_bound("a") and flow.is_bound("b"), deadline=5)
        ids = await flow.queue([f"m {i}" for i in range(60)], sender=SHORT_CODE)
        await until(lambda: len(accepted(first.submits())) >= 15, deadline=10)
        await asyncio.to_thread(first.stop)  # graceful: answers what it took, then unbinds
        on_first = [r.pdu.short_message for r in accepted(first.submits())]
        await until(lambda: flow.all_in(ids, ("sent", "delivered")), deadline=20)
    return on_first

"""SMPP throughput: one SmppConnector bind to an in-process Simulator, receipts on.

    .venv/bin/python bench/smpp_throughput.py [-n 20000] [--window 64] [--callers 256]

Many concurrent submit() callers push N single-part messages as fast as the window
allows; both ends share one event loop (uvloop when installed, unless --no-uvloop).
Prints submit_sm -> submit_sm_resp per second, p50/p99 submit latency (from the call to
submit() until it returns, window wait included), receipts received and peak RSS.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta

from smsgate.delivery.smpp import SmppConnector, SmppConnectorConfig
from smsgate.domain.ids import AccountId, MessageId
from smsgate.simulator.smsc import Simulator
from smsgate.smpp import DataSm, DeliverSm, DeliveryReceipt
from smsgate.store.queue import ClaimedMessage


def _message(i: int, expires: datetime) -> ClaimedMessage:
    # Built per submit, as the dispatcher builds one per claimed row.
    return ClaimedMessage(
        MessageId(f"SM{i:032x}"),
        AccountId("ACbench"),
        f"+1415555{i % 10_000:04d}",
        "+15005550006",
        f"Your code is {i:06d}",
        "GSM-7",
        1,
        True,
        1,
        expires,
    )


async def bench(n: int, window: int, callers: int) -> None:
    receipts = 0
    all_receipts = asyncio.Event()

    async def on_receipt(_name: str, _receipt: DeliveryReceipt) -> None:
        nonlocal receipts
        receipts += 1
        if receipts >= n:
            all_receipts.set()

    async def on_inbound(_name: str, _pdu: DeliverSm | DataSm) -> None:
        return None

    expires = datetime.now(UTC) + timedelta(hours=1)
    latencies: list[float] = []
    async with Simulator(window=window) as simulator:
        config = SmppConnectorConfig(
            "bench", "127.0.0.1", simulator.port, "smsgate", "secret", window=window
        )
        async with SmppConnector(config, on_receipt=on_receipt, on_inbound=on_inbound) as smpp:
            async with asyncio.timeout(5):
                await smpp.wait_bound()
            todo = iter(range(n))
            clock = time.perf_counter

            async def caller() -> None:
                for i in todo:
                    message = _message(i, expires)
                    started = clock()
                    await smpp.submit(message)
                    latencies.append(clock() - started)

            started = clock()
            async with asyncio.timeout(600), asyncio.TaskGroup() as tasks:
                for _ in range(callers):
                    tasks.create_task(caller())
            elapsed = clock() - started
            try:
                async with asyncio.timeout(60):
                    await all_receipts.wait()
            except TimeoutError:
                print("receipts: not all arrived within 60 s")
            receipts_elapsed = clock() - started
    latencies.sort()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"messages           {n} single-part, window {window}, {callers} callers")
    print(f"submit_sm/s        {n / elapsed:,.0f}  ({elapsed:.2f} s)")
    print(f"latency p50        {statistics.median(latencies) * 1000:.2f} ms")
    print(f"latency p99        {latencies[int(len(latencies) * 0.99) - 1] * 1000:.2f} ms")
    print(f"receipts received  {receipts} (all in {receipts_elapsed:.2f} s)")
    print(f"simulator          {simulator.submitted} submits, {simulator.receipts_sent} receipts")
    print(f"peak RSS           {peak_kib / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--callers", type=int, default=256)
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    loop_factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            print("uvloop is not installed; using the default event loop")
    print(f"event loop         {'uvloop' if loop_factory else 'asyncio'}")
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(bench(args.n, args.window, args.callers))


if __name__ == "__main__":
    main()

"""End to end: from `POST /v1/messages` to the `delivered` webhook arriving.

The load generator and the webhook receiver here speak HTTP/1.1 as asyncio protocols, on
uvloop as the gateway runs: on a 2-core machine a Python HTTP client and server would take
more CPU than the gateway and measure themselves (with asyncio streams this benchmark took
160-200 µs of CPU per message on asyncio's own loop, 110-125 on uvloop; as protocols, about
two thirds of that).

Starts `smsgate serve` on a fresh SQLite file with `smsgate simulator` as its carrier, in a
process of its own as a real carrier is (receipts 0.1 s after each submit, a fast
carrier), points the account's status webhook at a receiver in this process, and measures
per message the time from sending the request to receiving its `delivered` webhook:

- three bursts of 10,000 messages, each sent at concurrency 64: messages per second end to
  end (each, and their median), and the CPU time each process (gateway, writer process,
  carrier, this benchmark) spent on each message;
- a steady 500 messages per second for 10 s: latency p50/p99.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvloop
from _gateway import SENDER, Gateway, cpu_seconds, start_gateway_with_carrier, writer_process_pid

BURST = int(os.environ.get("BENCH_E2E_BURST", "10000"))
RATE = int(os.environ.get("BENCH_E2E_RATE", "500"))
STEADY_SECONDS = int(os.environ.get("BENCH_E2E_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_E2E_CONCURRENCY", "64"))
# On a shared virtual machine one burst's figure can move by a third from one minute to the
# next; the median of three is steadier. Later bursts find the rows of earlier ones in the
# database, as a gateway that has been running would.
BURSTS = int(os.environ.get("BENCH_E2E_BURSTS", "3"))
# The simulated carrier's receipt delay, included in every latency figure. Zero would make
# every receipt overtake its own submit_sm_resp, which real carriers do only now and then.
RECEIPT_DELAY = os.environ.get("BENCH_E2E_RECEIPT_DELAY", "0.1")


STATUS = re.compile(rb'"id":"(SM[0-9a-f]{32})".*?"status":"([a-z]+)"')
CONTENT_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")


def next_http_message(buffer: bytearray) -> tuple[bytes, bytes] | None:
    """Take one whole HTTP/1.1 message (head, body) off the front of `buffer`, if it holds
    one. Both ends here always send Content-Length."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = CONTENT_LENGTH.search(buffer, 0, end + 2)
    body_end = end + 4 + (int(length.group(1)) if length else 0)
    if len(buffer) < body_end:
        return None
    head, body = bytes(buffer[:end]), bytes(buffer[end + 4 : body_end])
    del buffer[:body_end]
    return head, body


class Receiver:
    """A minimal HTTP/1.1 server: answers 204 to every POST, notes each `delivered`."""

    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self.webhooks = 0
        self.open_connections = 0
        self.all_closed = asyncio.Event()
        self.waiting: set[str] = set()
        self.all_arrived = asyncio.Event()

    def expect(self, ids: set[str]) -> None:
        """Set `all_arrived` once each of `ids` has its `delivered` webhook."""
        self.waiting = ids - self.delivered.keys()
        self.all_arrived.clear()
        if not self.waiting:
            self.all_arrived.set()

    def received(self, body: bytes) -> None:
        self.webhooks += 1
        found = STATUS.search(body)
        if found and found.group(2) == b"delivered":
            message_id = found.group(1).decode()
            self.delivered[message_id] = time.monotonic()
            if message_id in self.waiting:
                self.waiting.discard(message_id)
                if not self.waiting:
                    self.all_arrived.set()

    def connection(self) -> asyncio.Protocol:
        return _ReceiverConnection(self)


class _ReceiverConnection(asyncio.Protocol):
    """One webhook connection of the gateway's. A protocol, not streams: on two cores the
    benchmark's own CPU is taken from the gateway it measures."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.receiver.open_connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = 0
        while (message := next_http_message(self.buffer)) is not None:
            self.receiver.received(message[1])
            answers += 1
        if answers and self.transport is not None:
            self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n" * answers)

    def connection_lost(self, exc: Exception | None) -> None:
        self.receiver.open_connections -= 1
        if not self.receiver.open_connections:
            self.receiver.all_closed.set()


class _ApiConnection(asyncio.Protocol):
    """One keep-alive connection to the gateway's API, one request at a time."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[tuple[bytes, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def request(self, data: bytes) -> asyncio.Future[tuple[bytes, bytes]]:
        assert self.transport is not None
        assert self.answer is None, "one request at a time"
        if self.transport.is_closing():
            raise ConnectionError("the gateway closed the connection")
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.answer

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        message = next_http_message(self.buffer)
        if message is not None and self.answer is not None:
            self.answer.set_result(message)
            self.answer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the gateway closed the connection"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Sender:
    """Keep-alive connections to the gateway, one request at a time on each."""

    def __init__(self, host: str, port: int, auth: tuple[str, str]) -> None:
        self.host, self.port = host, port
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        self.head = (
            f"POST /v1/messages HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.pool: asyncio.Queue[_ApiConnection] = asyncio.Queue()

    async def open(self, connections: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(connections):
            _, connection = await loop.create_connection(_ApiConnection, self.host, self.port)
            self.pool.put_nowait(connection)

    async def send(self, body: str, sent: dict[str, float]) -> None:
        payload = json.dumps({"to": "+14155552671", "from": SENDER, "body": body}).encode()
        connection = await self.pool.get()
        started = time.monotonic()
        head, answer = await connection.request(
            self.head + str(len(payload)).encode() + b"\r\n\r\n" + payload
        )
        self.pool.put_nowait(connection)
        if not head.startswith(b"HTTP/1.1 201"):
            raise RuntimeError(f"the gateway refused a message: {head[:40]!r} {answer[:200]!r}")
        sent[json.loads(answer)["id"]] = started

    async def reopen(self, connections: int) -> None:
        self.close()
        await self.open(connections)

    def close(self) -> None:
        while not self.pool.empty():
            self.pool.get_nowait().close()


async def wait_all(receiver: Receiver, sent: dict[str, float], deadline: float) -> None:
    receiver.expect(set(sent))
    try:
        async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
            await receiver.all_arrived.wait()
    except TimeoutError:
        pass  # the report says how many arrived


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


class CpuMeter:
    """CPU time each process of the run spends between `start` and `stop`, per message."""

    def __init__(self, gateway: Gateway) -> None:
        self._pids = {"gateway": gateway.process.pid}
        writer = writer_process_pid(gateway.process.pid)
        if writer is not None:
            self._pids["writer process"] = writer
        self._pids["carrier simulator"] = gateway.others[0].pid
        self._started: dict[str, float] = {}
        self._used: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        used = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        return used | {"this benchmark": time.process_time()}

    def start(self) -> None:
        self._started = self._now()

    def stop(self) -> None:
        self._used = {name: t - self._started[name] for name, t in self._now().items()}

    def report(self, messages: int) -> None:
        if not messages:
            return
        each = ", ".join(f"{name} {t / messages * 1e6:,.0f}" for name, t in self._used.items())
        total = sum(self._used.values()) / messages * 1e6
        print(f"CPU per message    {each} µs ({total:,.0f} µs in all)")


async def burst(client: Sender, receiver: Receiver, cpu: CpuMeter, number: int) -> float:
    """One burst; its figures are printed, and its messages per second end to end returned."""
    sent: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(BURST):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            await client.send(f"burst {queue.get_nowait()}", sent)

    # The gateway closes connections idle past its keep-alive timeout (the wait for the
    # last webhooks of the burst before can be longer).
    await client.reopen(CONCURRENCY)
    cpu.start()
    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    accepted = time.monotonic()
    await wait_all(receiver, sent, accepted + 300)
    cpu.stop()
    done = [receiver.delivered[m] for m in sent if m in receiver.delivered]
    finished = max(done) if done else time.monotonic()
    latencies = [receiver.delivered[m] - sent[m] for m in sent if m in receiver.delivered]
    print(f"\n## burst {number} of {BURSTS}: {BURST:,} messages (concurrency {CONCURRENCY})")
    print(f"accepted in        {accepted - started:.2f} s ({BURST / (accepted - started):,.0f}/s)")
    print(f"delivered webhooks {len(done):,} of {BURST:,} in {finished - started:.2f} s")
    rate = len(done) / (finished - started)
    print(f"end to end         {rate:,.0f} messages/s")
    if latencies:
        print(
            f"latency            p50 {percentile(latencies, 50) * 1000:,.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:,.0f} ms"
        )
    cpu.report(len(done))
    return rate


async def steady(client: Sender, receiver: Receiver) -> None:
    sent: dict[str, float] = {}
    total = RATE * STEADY_SECONDS
    await client.reopen(CONCURRENCY)  # the gateway closed the idle ones (keep-alive timeout)
    started = time.monotonic()
    tasks = []
    for n in range(total):
        delay = started + n / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(client.send(f"steady {n}", sent)))
    await asyncio.gather(*tasks)
    await wait_all(receiver, sent, time.monotonic() + 120)
    latencies = [receiver.delivered[m] - sent[m] for m in sent if m in receiver.delivered]
    print(f"\n## steady {RATE}/s for {STEADY_SECONDS} s ({total:,} messages)")
    print(f"delivered webhooks {len(latencies):,} of {total:,}")
    if latencies:
        print(
            f"latency            p50 {percentile(latencies, 50) * 1000:,.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:,.0f} ms, "
            f"max {max(latencies) * 1000:,.0f} ms"
        )


async def main() -> None:
    receiver = Receiver()
    server = await asyncio.get_running_loop().create_server(receiver.connection, "127.0.0.1", 0)
    hook_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"
    with tempfile.TemporaryDirectory(prefix="smsgate-e2e-") as tmp:
        gateway = start_gateway_with_carrier(Path(tmp), RECEIPT_DELAY, webhook_allow_private="1")
        url, auth = gateway.url, (gateway.key_id, gateway.secret)
        try:
            async with httpx.AsyncClient(base_url=url, auth=auth) as api:
                patched = await api.patch("/v1/account", json={"status_callback": hook_url})
                patched.raise_for_status()
            host, port = url.removeprefix("http://").rsplit(":", 1)
            client = Sender(host, int(port), auth)
            print("smsgate end to end: API call -> delivered webhook received")
            print("(webhooks: sending, sent and delivered for each message)")
            rates = [await burst(client, receiver, CpuMeter(gateway), n + 1) for n in range(BURSTS)]
            if BURSTS > 1:
                each = ", ".join(f"{rate:,.0f}" for rate in rates)
                print(
                    f"\n## bursts: median {statistics.median(rates):,.0f} messages/s "
                    f"end to end ({each})"
                )
            await steady(client, receiver)
            print(f"webhooks received in all: {receiver.webhooks:,}")
            client.close()
        finally:
            gateway.stop()
            server.close()
            # The gateway's connections are gone; let their handlers see EOF and end.
            async with asyncio.timeout(10):
                await receiver.all_closed.wait()


if __name__ == "__main__":
    uvloop.run(main())

"""End to end: from `POST /v1/messages` to the `delivered` webhook arriving.

Starts `smsgate serve --sandbox` on a fresh SQLite file (simulator receipts at once, so the
figure is the gateway's own time, not a simulated carrier's), points the account's status
webhook at a receiver in this process, and measures per message the time from sending the
request to receiving its `delivered` webhook:

- a burst of 10,000 messages, sent at concurrency 64: messages per second end to end;
- a steady 500 messages per second for 10 s: latency p50/p99.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SMSGATE = Path(sys.executable).with_name("smsgate")
BURST = int(os.environ.get("BENCH_E2E_BURST", "10000"))
RATE = int(os.environ.get("BENCH_E2E_RATE", "500"))
STEADY_SECONDS = int(os.environ.get("BENCH_E2E_SECONDS", "10"))
CONCURRENCY = 64


class Receiver:
    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self.webhooks = 0
        self.arrived = asyncio.Event()

    async def hook(self, request: Request) -> Response:
        event = json.loads(await request.body())
        self.webhooks += 1
        if event["data"]["status"] == "delivered":
            self.delivered[event["data"]["id"]] = time.monotonic()
            self.arrived.set()
        return Response(status_code=204)


def start_gateway(workdir: Path) -> tuple[subprocess.Popen[str], str, tuple[str, str]]:
    env = {
        **os.environ,
        "SMSGATE_DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "SMSGATE_WEBHOOK_ALLOW_PRIVATE": "1",
        "SMSGATE_SIMULATOR_RECEIPT_DELAY": "0",
    }
    process = subprocess.Popen(
        [str(SMSGATE), "serve", "--sandbox", "--port", "0"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    key_id = secret = url = ""
    for line in process.stdout:
        if "API key id:" in line:
            key_id = line.split()[-1]
        elif line.strip().startswith("secret:"):
            secret = line.split()[-1]
        elif line.startswith("smsgate listening on"):
            url = line.split()[-1]
        elif "Application startup complete" in line:
            break
    subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
    return process, url, (key_id, secret)


async def send_one(client: httpx.AsyncClient, body: str, sent: dict[str, float]) -> None:
    started = time.monotonic()
    response = await client.post(
        "/v1/messages", json={"to": "+14155552671", "from": "+15005550006", "body": body}
    )
    response.raise_for_status()
    sent[response.json()["id"]] = started


async def wait_all(receiver: Receiver, sent: dict[str, float], deadline: float) -> None:
    while time.monotonic() < deadline and not set(sent) <= set(receiver.delivered):
        receiver.arrived.clear()
        try:
            async with asyncio.timeout(1):
                await receiver.arrived.wait()
        except TimeoutError:
            pass


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def burst(client: httpx.AsyncClient, receiver: Receiver) -> None:
    sent: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(BURST):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            await send_one(client, f"burst {queue.get_nowait()}", sent)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    accepted = time.monotonic()
    await wait_all(receiver, sent, accepted + 300)
    done = [receiver.delivered[m] for m in sent if m in receiver.delivered]
    finished = max(done) if done else time.monotonic()
    latencies = [receiver.delivered[m] - sent[m] for m in sent if m in receiver.delivered]
    print(f"\n## burst of {BURST:,} messages (concurrency {CONCURRENCY})")
    print(f"accepted in        {accepted - started:.2f} s ({BURST / (accepted - started):,.0f}/s)")
    print(f"delivered webhooks {len(done):,} of {BURST:,} in {finished - started:.2f} s")
    print(f"end to end         {len(done) / (finished - started):,.0f} messages/s")
    if latencies:
        print(
            f"latency            p50 {percentile(latencies, 50) * 1000:,.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:,.0f} ms"
        )


async def steady(client: httpx.AsyncClient, receiver: Receiver) -> None:
    sent: dict[str, float] = {}
    total = RATE * STEADY_SECONDS
    started = time.monotonic()
    tasks = []
    for n in range(total):
        delay = started + n / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(client, f"steady {n}", sent)))
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
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    hook_url = f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hooks", receiver.hook, methods=["POST"])]),
            log_level="warning",
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    with tempfile.TemporaryDirectory(prefix="smsgate-e2e-") as tmp:
        process, url, auth = start_gateway(Path(tmp))
        try:
            limits = httpx.Limits(max_connections=CONCURRENCY)
            async with httpx.AsyncClient(base_url=url, auth=auth, limits=limits) as client:
                patched = await client.patch("/v1/account", json={"status_callback": hook_url})
                patched.raise_for_status()
                print("smsgate end to end: API call -> delivered webhook received")
                await burst(client, receiver)
                await steady(client, receiver)
                print(f"webhooks received in all: {receiver.webhooks:,}")
        finally:
            process.terminate()
            process.wait(timeout=30)
            server.should_exit = True
            await serving


if __name__ == "__main__":
    asyncio.run(main())

"""`make bench`: how fast the gateway accepts messages, against the ceiling of its HTTP stack.

Starts `smsgate serve --sandbox` on a fresh SQLite file, then drives it with wrk (a C load
generator, so the client is not the bottleneck) at concurrency 64:

- the ceiling: `GET /v1/whoami`, the cheapest authenticated endpoint on the same server;
- the send path: `POST /v1/messages`, each 201 sent only after its row is committed.

It runs the gateway twice: as `make run` runs it (the dispatcher delivering every accepted
message over SMPP to the simulator, which runs in the same process and so shares its CPU,
receipts included), and as an API-only node (delivery off). After each run it counts the
rows, so "accepted" means committed. Then bench/smpp_throughput.py measures one SMPP bind,
bench/writer.py the writer's CPU per message with no network, and bench/e2e.py the time
from API call to `delivered` webhook. Figures only; no pass/fail.
"""

from __future__ import annotations

import base64
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import timeit
from dataclasses import dataclass
from pathlib import Path

from _gateway import start_gateway, writer_process_pid

HERE = Path(__file__).resolve().parent
CONNECTIONS = 64
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
RESULT = re.compile(r"RESULT (.*)")


@dataclass
class Figures:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    non2xx: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing it with apt-get (Debian package 'wrk') ...", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False)
    found = shutil.which("wrk")
    if not found:
        sys.exit("make bench needs wrk: install it (apt-get install wrk) and run again.")
    return found


def wrk(binary: str, url: str, script: str, seconds: int, env: dict[str, str]) -> Figures:
    completed = subprocess.run(
        [binary, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(HERE / script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    match = RESULT.search(completed.stdout)
    if match is None:
        sys.exit(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    values = dict(part.split("=") for part in match.group(1).split())
    requests = int(values["requests"])
    return Figures(
        requests=requests,
        per_second=requests / (int(values["duration_us"]) / 1e6),
        p50_ms=int(values["p50_us"]) / 1000,
        p99_ms=int(values["p99_us"]) / 1000,
        non2xx=int(values["non2xx"]),
    )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(label: str, binary: str, **gateway_env: str) -> None:
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        workdir = Path(tmp)
        gateway = start_gateway(workdir, **gateway_env)
        url, key_id, secret = gateway.url, gateway.key_id, gateway.secret
        try:
            env = {
                "SMSGATE_AUTH": base64.b64encode(f"{key_id}:{secret}".encode()).decode(),
                "SMSGATE_FROM": "+15005550006",
            }
            wrk(binary, f"{url}/v1/whoami", "whoami.lua", 2, env)  # warm up
            ceiling = wrk(binary, f"{url}/v1/whoami", "whoami.lua", DURATION, env)
            wrk(binary, f"{url}/v1/messages", "send.lua", 2, env)
            with sqlite3.connect(workdir / "bench.db") as db:
                before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
            send = wrk(binary, f"{url}/v1/messages", "send.lua", DURATION, env)
            rss = peak_rss_mib(gateway.process.pid)
            writer = writer_process_pid(gateway.process.pid)
            writer_rss = peak_rss_mib(writer) if writer else 0.0
        finally:
            gateway.stop()
        with sqlite3.connect(workdir / "bench.db") as db:
            stored = db.execute("SELECT count(*) FROM messages").fetchone()[0] - before
            sent = db.execute(
                "SELECT count(*) FROM messages WHERE status IN ('sent', 'delivered')"
            ).fetchone()[0]
            total = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    print(f"\n## {label}")
    print(f"{'endpoint':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, fig in (("GET /v1/whoami (ceiling)", ceiling), ("POST /v1/messages", send)):
        print(
            f"{name:<24}{fig.per_second:>10.0f}{fig.p50_ms:>10.1f}{fig.p99_ms:>10.1f}"
            f"{fig.non2xx:>10}"
        )
    print(f"accepted / ceiling: {send.per_second / ceiling.per_second:.0%}")
    print(f"rows committed during the run: {stored} (wrk counted {send.requests} responses)")
    print(f"handed to the simulator over SMPP by the end: {sent} of {total}")
    print(f"gateway peak RSS: {rss:.0f} MiB, and its writer process {writer_rss:.0f} MiB")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def reference_loop_ms() -> float:
    """A fixed piece of pure-Python work (best of 5), so figures taken on different
    machines, or on one virtual machine at different hours, can be put side by side."""
    return (
        min(timeit.repeat("sorted(str(i * i) for i in range(200_000))", number=1, repeat=5)) * 1e3
    )


def main() -> None:
    binary = ensure_wrk()
    print(
        f"smsgate bench: wrk -t2 -c{CONNECTIONS} -d{DURATION}s, {os.cpu_count()} CPUs "
        f"({cpu_model()}), Python {sys.version.split()[0]}"
    )
    print(f"machine speed: the reference loop takes {reference_loop_ms():.0f} ms (less is faster)")
    run("all-in-one, as `make run` starts it (API + dispatcher + simulator)", binary)
    run("API-only node (SMSGATE_DELIVERY_ENABLED=0)", binary, delivery_enabled="0")
    print("\n## one SMPP bind to the simulator (bench/smpp_throughput.py)")
    subprocess.run([sys.executable, str(HERE / "smpp_throughput.py")], check=True)
    subprocess.run([sys.executable, str(HERE / "writer.py")], check=True)
    print()
    subprocess.run([sys.executable, str(HERE / "e2e.py")], check=True)


if __name__ == "__main__":
    main()

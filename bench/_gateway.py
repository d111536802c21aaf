"""Start a gateway for a benchmark, on a fresh SQLite file in `workdir`.

Two layouts: `smsgate serve --sandbox` (the simulator in the gateway's process, as `make
run` starts it), or a gateway whose carrier is `smsgate simulator` in a process of its
own, as a real carrier is (`start_gateway_with_carrier`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SMSGATE = Path(sys.executable).with_name("smsgate")
# The carrier layout's account sends from this number, registered before the start.
SENDER = "+15005550006"


@dataclass
class Gateway:
    process: subprocess.Popen[str]
    url: str
    key_id: str
    secret: str
    database: Path
    others: list[subprocess.Popen[str]] = field(default_factory=list)

    def stop(self) -> None:
        for process in [self.process, *self.others]:
            process.terminate()
            process.wait(timeout=30)


def _environ(database: Path, settings: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "SMSGATE_DATABASE_URL": f"sqlite:///{database}",
        # The figures are the gateway's capacity: no per-account request limit or queue cap.
        "SMSGATE_LIMITS_API_RATE": "0",
        "SMSGATE_LIMITS_QUEUE_CAP": "0",
        # Every message comes from one long code; here it may send as fast as it can.
        "SMSGATE_PACING_LONG_CODE_MPS": "1000000",
        **{f"SMSGATE_{name.upper()}": value for name, value in settings.items()},
    }


def _serve(
    arguments: list[str], workdir: Path, environ: dict[str, str]
) -> tuple[Any, str, str, str]:
    process = subprocess.Popen(
        [str(SMSGATE), "serve", "--port", "0", *arguments],
        cwd=workdir,
        env=environ,
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
    if not url:
        process.kill()
        sys.exit("the gateway did not start; run `smsgate serve --sandbox` to see why")
    # Keep draining its output so a full pipe never blocks the server.
    subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
    return process, url, key_id, secret


def start_gateway(workdir: Path, **settings: str) -> Gateway:
    """`smsgate serve --sandbox` with SMSGATE_* `settings`, once it serves; its sandbox key
    is read from what it prints. Exits the benchmark if it does not start."""
    database = workdir / "bench.db"
    process, url, key_id, secret = _serve(["--sandbox"], workdir, _environ(database, settings))
    return Gateway(process, url, key_id, secret, database)


def start_gateway_with_carrier(workdir: Path, receipt_delay: str, **settings: str) -> Gateway:
    """A gateway whose carrier is `smsgate simulator` in its own process (receipts
    `receipt_delay` seconds after each submit), with a live key and SENDER registered."""
    database = workdir / "bench.db"
    environ = _environ(database, settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    carrier = subprocess.Popen(
        [str(SMSGATE), "simulator", "--port", str(port), "--receipt-delay", receipt_delay],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _wait_listening(port)

    def cli(*arguments: str) -> dict[str, str]:
        done = subprocess.run(
            [str(SMSGATE), *arguments], env=environ, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout) if done.stdout.startswith("{") else {}

    cli("accounts", "create", "bench", "--json")
    key = cli("keys", "create", "--account", "bench", "--json")
    cli("numbers", "add", SENDER, "--account", "bench")
    environ |= {
        "SMSGATE_SIMULATOR_ENABLED": "0",
        "SMSGATE_SMPP_HOST": "127.0.0.1",
        "SMSGATE_SMPP_PORT": str(port),
        "SMSGATE_SMPP_SYSTEM_ID": "smsgate",  # `smsgate simulator`'s defaults
        "SMSGATE_SMPP_PASSWORD": "secret",
    }
    process, url, _, _ = _serve([], workdir, environ)
    return Gateway(process, url, key["key_id"], key["secret"], database, [carrier])


def writer_process_pid(pid: int) -> int | None:
    """The gateway's writer process (the default on a SQLite file), if it has one."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended since the listing
            continue
        for child in children:
            if b"smsgate.store.writer_process" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    return None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the carrier simulator did not listen on port {port}")

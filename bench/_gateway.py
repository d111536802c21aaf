"""Start `smsgate serve --sandbox` for a benchmark, on a fresh SQLite file in `workdir`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SMSGATE = Path(sys.executable).with_name("smsgate")


@dataclass
class Gateway:
    process: subprocess.Popen[str]
    url: str
    key_id: str
    secret: str
    database: Path

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_gateway(workdir: Path, **settings: str) -> Gateway:
    """The gateway with SMSGATE_* `settings`, once it serves; its sandbox key is read from
    what it prints. Exits the benchmark if it does not start."""
    database = workdir / "bench.db"
    environ = {
        **os.environ,
        "SMSGATE_DATABASE_URL": f"sqlite:///{database}",
        # The figures are the gateway's capacity: no per-account request limit or queue cap.
        "SMSGATE_LIMITS_API_RATE": "0",
        "SMSGATE_LIMITS_QUEUE_CAP": "0",
        **{f"SMSGATE_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [str(SMSGATE), "serve", "--sandbox", "--port", "0"],
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
    if not (key_id and secret and url):
        process.kill()
        sys.exit("the gateway did not start; run `smsgate serve --sandbox` to see why")
    # Keep draining its output so a full pipe never blocks the server.
    subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
    return Gateway(process, url, key_id, secret, database)

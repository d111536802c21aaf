"""`smsgate simulator`: the standalone SMSC, driven by smpplib, a third-party SMPP client."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import smpplib.client

from tests.smpplib_session import smpplib_round_trip

START_DEADLINE = 15.0


@pytest.fixture
def simulator_port() -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "smsgate.cli", "simulator", "--port", "0", "--receipt-delay", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = 0
        deadline = time.monotonic() + START_DEADLINE
        while not port and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("SMSC simulator listening on"):
                port = int(line.split()[4].rsplit(":", 1)[1])
        assert port, "the simulator did not start"
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_standalone_simulator_serves_a_third_party_client(simulator_port: int) -> None:
    sent, received = smpplib_round_trip(simulator_port, b"standalone")
    assert len(sent) == 1
    (receipt,) = received
    assert receipt.receipted_message_id.rstrip(b"\x00") == sent[0]
    assert b"stat:DELIVRD" in receipt.short_message


def test_wrong_password_is_refused(simulator_port: int) -> None:
    client = smpplib.client.Client(
        "127.0.0.1", simulator_port, timeout=5, allow_unknown_opt_params=True
    )
    client.connect()
    try:
        with pytest.raises(smpplib.exceptions.PDUError):
            client.bind_transceiver(system_id="smsgate", password="wrong")
    finally:
        client.disconnect()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "70000"], "--port is 70000"),
        (["--system-id", "x" * 16], "at most 15"),
        (["--receipt-delay", "-1"], "--receipt-delay is -1"),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], says: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smsgate.cli", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr

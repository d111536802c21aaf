"""`smsgate listen`: the account's events, signed, forwarded to a local receiver."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable

from standardwebhooks import Webhook

from smsgate.webhooks.forwarder import SseEvent, parse_sse
from tests.conftest import RECIPIENT, SENDER, RunningGateway, WebhookSink, wait_for


def test_parse_sse_joins_data_lines_and_skips_comments() -> None:
    lines = [": hello", "id: 7", "event: message.status", "data: {", "data: }", "", "data: x", ""]
    assert list(parse_sse(lines)) == [
        SseEvent("7", "message.status", "{\n}"),
        SseEvent("7", "message", "x"),
    ]


def test_listen_forwards_signed_events_to_a_local_url(
    start_gateway: Callable[..., RunningGateway], webhook_sink: WebhookSink
) -> None:
    gateway = start_gateway()
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsgate.cli",
            "listen",
            "--forward-to",
            webhook_sink.url,
            "--url",
            gateway.base_url,
            "--key-id",
            credentials.key_id,
            "--secret",
            credentials.secret,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        wait_for(lambda: any("connected to the event stream" in line for line in output))
        with gateway.client(credentials) as http:
            secret = http.get("/v1/account").json()["webhook_secret"]
            message_id = http.post(
                "/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "hi"}
            ).json()["id"]
        wait_for(lambda: webhook_sink.events(message_id) == ["sending", "sent", "delivered"])
        for received in webhook_sink.received:
            assert Webhook(secret).verify(received.body, received.headers)["data"]["id"] == (
                message_id
            )
        wait_for(lambda: any(f"{message_id} delivered -> 200" in line for line in output))
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_listen_needs_a_key() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smsgate.cli", "listen", "--forward-to", "http://127.0.0.1:1/"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "--key-id" in result.stderr

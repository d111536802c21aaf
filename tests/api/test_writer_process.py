"""The gateway with its writer in a process of its own (the default on a SQLite file):
messages, receipts and webhooks go the whole way, and the writer process ends with it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.conftest import (
    RECIPIENT,
    SENDER,
    RunningGateway,
    WebhookSink,
    make_settings,
    wait_for,
)


@pytest.fixture
def gateway_with_writer_process(tmp_path: Path) -> Iterator[RunningGateway]:
    settings = make_settings(tmp_path, database_writer="auto", webhook_allow_private="1")
    running = RunningGateway(settings).start()
    yield running
    running.stop()


def test_a_message_goes_the_whole_way_with_the_writer_in_its_own_process(
    gateway_with_writer_process: RunningGateway, webhook_sink: WebhookSink
) -> None:
    gateway = gateway_with_writer_process
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    with gateway.client(credentials) as http:
        secret = http.get("/v1/account").json()["webhook_secret"]
        sent = http.post(
            "/v1/messages",
            json={
                "to": RECIPIENT,
                "from": SENDER,
                "body": "hi",
                "status_callback": webhook_sink.url,
            },
        )
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["id"]
        wait_for(lambda: webhook_sink.events(message_id)[-1:] == ["delivered"])
        assert webhook_sink.events(message_id) == ["sending", "sent", "delivered"]
        for received in webhook_sink.received:
            Webhook(secret).verify(received.body, dict(received.headers))
        assert http.get(f"/v1/messages/{message_id}").json()["status"] == "delivered"
    assert _writer_processes(), "no writer process was started"
    gateway.stop()
    assert not _writer_processes(), "the writer process outlived the gateway"


def _writer_processes() -> list[int]:
    """Our child processes running the writer (Linux: read from /proc)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended since the listing
            continue
        for child in children:
            cmdline = Path(f"/proc/{child}/cmdline")
            if cmdline.exists() and b"smsgate.store.writer_process" in cmdline.read_bytes():
                found.append(int(child))
    return found

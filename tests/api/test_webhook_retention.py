"""A running gateway deletes finished webhook deliveries past the retention, at start."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunningGateway, make_settings, wait_for
from tests.store.test_webhook_retention import OLD, RECENT, a_message, add_delivery, remaining


def test_the_gateway_prunes_old_finished_deliveries_once_started(
    tmp_path: Path, database_url: str
) -> None:
    running = RunningGateway(make_settings(tmp_path, database_url))
    message_id = a_message(running.database)
    old = add_delivery(running.database, message_id, "delivered", OLD, 1)
    unfinished = add_delivery(running.database, message_id, "pending", OLD, 2)
    recent = add_delivery(running.database, message_id, "delivered", RECENT, 3)
    assert old in remaining(running.database)[0]

    running.start()
    try:
        wait_for(lambda: old not in remaining(running.database)[0])
        assert {unfinished, recent} <= remaining(running.database)[0]
    finally:
        running.stop()


def test_retention_zero_keeps_every_delivery(tmp_path: Path, database_url: str) -> None:
    running = RunningGateway(make_settings(tmp_path, database_url, webhook_retention_days="0"))
    assert running.gateway.webhook_retention is None
    running.gateway.database.dispose()

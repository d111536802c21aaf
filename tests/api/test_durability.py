"""Nothing accepted is lost: a 201 survives SIGKILL and is dispatched after restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import (
    RECIPIENT,
    SENDER,
    RunningGateway,
    killed_gateway,
    make_settings,
    wait_for,
)


def test_message_accepted_before_sigkill_is_dispatched_after_restart(
    tmp_path: Path, start_gateway: Callable[..., RunningGateway], database_url: str
) -> None:
    # Prepare the database, an account and its number, without serving yet.
    setup = RunningGateway(make_settings(tmp_path, database_url))
    credentials = setup.account("acme")
    setup.add_number(credentials, SENDER)
    setup.database.dispose()

    # An API-only gateway in its own process: it accepts but never dispatches.
    with killed_gateway(database_url=database_url, delivery_enabled="0") as base_url:
        response = httpx.post(
            f"{base_url}/v1/messages",
            json={"to": RECIPIENT, "from": SENDER, "body": "survive"},
            auth=credentials.auth,
        )
        assert response.status_code == 201
        message_id = response.json()["id"]

    restarted = start_gateway()
    with restarted.client(credentials) as http:
        found = wait_for(
            lambda: (
                (m := http.get(f"/v1/messages/{message_id}").json())["status"] == "delivered" and m
            )
        )
    assert found["body"] == "survive"
    assert [e["status"] for e in found["events"]] == ["queued", "sending", "sent", "delivered"]

"""The sandbox: real SMPP to the built-in simulator, its magic numbers, and its endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for


def final(client: httpx.Client, message_id: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found: dict[str, Any] = client.get(f"/v1/messages/{message_id}").json()
        return found if found["status"] == status else None

    return wait_for(reached)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("to", "status", "code"),
    [
        ("+15005550001", "failed", 30005),  # submit_sm refused: ESME_RINVDSTADR
        ("+15005550002", "undelivered", 30005),  # UNDELIV receipt, err 001
    ],
)
def test_magic_numbers_provoke_each_outcome(
    client: httpx.Client, to: str, status: str, code: int
) -> None:
    message_id = client.post("/v1/messages", json={"to": to, "from": SENDER, "body": "x"}).json()[
        "id"
    ]
    found = final(client, message_id, status)
    assert found["error_code"] == code
    assert found["error_message"]


def test_a_long_message_reaches_the_handset_whole(client: httpx.Client) -> None:
    body = "Ünïcödé ✓ " * 20  # UCS-2, 200 characters: 3 segments
    created = client.post("/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": body})
    assert created.json()["segments"] == 3
    final(client, created.json()["id"], "delivered")
    handset = client.get(f"/simulator/handsets/{RECIPIENT}").json()["messages"]
    assert [(m["body"], m["parts"]) for m in handset] == [(body, 3)]


def test_a_handset_reply_arrives_as_an_inbound_message(client: httpx.Client) -> None:
    reply = "Thanks! 👍 " * 12  # UCS-2 over two segments
    answer = client.post(
        "/simulator/inbound", json={"from": RECIPIENT, "to": SENDER, "body": reply}
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["parts"] == 2

    def stored() -> list[dict[str, Any]]:
        return client.get("/v1/messages", params={"direction": "inbound"}).json()["messages"]  # type: ignore[no-any-return]

    (message,) = wait_for(stored)
    assert message["body"] == reply
    assert message["from"] == RECIPIENT
    assert message["to"] == SENDER
    assert message["status"] == "received"
    assert message["segments"] == 2


def test_inbound_only_to_your_own_numbers(client: httpx.Client) -> None:
    response = client.post(
        "/simulator/inbound", json={"from": RECIPIENT, "to": "+15005550009", "body": "hi"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 21606
    bad_from = client.post("/simulator/inbound", json={"from": "nope", "to": SENDER, "body": "x"})
    assert bad_from.json()["code"] == 21211


def test_a_handset_shows_only_your_own_messages(
    gateway: RunningGateway, client: httpx.Client
) -> None:
    message_id = client.post(
        "/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "mine"}
    ).json()["id"]
    final(client, message_id, "delivered")
    other = gateway.account("other")
    with gateway.client(other) as stranger:
        assert stranger.get(f"/simulator/handsets/{RECIPIENT}").json()["messages"] == []


def test_live_messages_wait_for_a_carrier_connector(gateway: RunningGateway) -> None:
    live: Credentials = gateway.account("live-co", mode="live")
    gateway.add_number(live, "+15005550008")
    with gateway.client(live) as http:
        message_id = http.post(
            "/v1/messages", json={"to": RECIPIENT, "from": "+15005550008", "body": "real"}
        ).json()["id"]

        def retried() -> dict[str, Any] | None:
            found: dict[str, Any] = http.get(f"/v1/messages/{message_id}").json()
            return found if len(found["events"]) >= 3 else None

        found = wait_for(retried)
    assert [e["status"] for e in found["events"]][:3] == ["queued", "sending", "queued"]
    assert "No carrier connector is configured" in found["events"][2]["detail"]
    assert found["test"] is False


def test_simulator_endpoints_are_absent_when_it_is_off(
    start_gateway: Any,
) -> None:
    running: RunningGateway = start_gateway(simulator_enabled="0")
    credentials = running.account("acme")
    with running.client(credentials) as http:
        assert http.get(f"/simulator/handsets/{RECIPIENT}").status_code == 404

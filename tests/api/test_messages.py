"""POST/GET /v1/messages over real HTTP against a real SQLite file."""

from __future__ import annotations

import concurrent.futures

import httpx

from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for


def send(client: httpx.Client, **fields: object) -> httpx.Response:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "Your code is 123456"} | fields
    return client.post("/v1/messages", json=payload)


def test_send_answers_201_queued_with_location(client: httpx.Client) -> None:
    response = send(client)
    assert response.status_code == 201, response.text
    message = response.json()
    assert message["id"].startswith("SM")
    assert len(message["id"]) == 34
    assert message["status"] == "queued"
    assert message["encoding"] == "GSM-7"
    assert message["segments"] == 1
    assert message["price"] == "0.0079"
    assert message["price_unit"] == "USD"
    assert message["created_at"].endswith("Z")
    assert response.headers["location"] == f"/v1/messages/{message['id']}"


def test_message_goes_over_smpp_to_the_simulator_and_is_delivered(
    gateway: RunningGateway, client: httpx.Client
) -> None:
    message_id = send(client).json()["id"]

    def delivered() -> dict[str, object] | None:
        found = client.get(f"/v1/messages/{message_id}").json()
        return found if found["status"] == "delivered" else None

    found = wait_for(delivered)
    assert [e["status"] for e in found["events"]] == ["queued", "sending", "sent", "delivered"]
    assert found["events"][1]["attempt"] == 1
    assert found["attempts"] == 1
    handset = client.get(f"/simulator/handsets/{RECIPIENT}").json()["messages"]
    assert [(m["message_id"], m["body"], m["from"]) for m in handset] == [
        (message_id, "Your code is 123456", SENDER)
    ]
    assert gateway.gateway.receipts.results["applied"] == 1


def test_long_unicode_body_is_split_into_ucs2_segments(client: httpx.Client) -> None:
    message = send(client, body="Привет! " * 20).json()
    assert message["encoding"] == "UCS-2"
    assert message["segments"] == 3  # 160 UTF-16 units at 67 per part


def test_smart_encoding_replaces_curly_quotes_and_says_so(client: httpx.Client) -> None:
    message = send(client, body="It\u2019s \u201cready\u201d").json()
    assert message["encoding"] == "GSM-7"
    assert message["body"] == 'It\'s "ready"'
    assert message["smart_encoding"]["applied"] is True
    assert {"from": "\u2019", "to": "'"} in message["smart_encoding"]["replacements"]


def test_alphanumeric_sender_is_accepted(client: httpx.Client) -> None:
    assert send(client, **{"from": "Acme"}).status_code == 201


def test_account_cannot_see_another_accounts_message(
    gateway: RunningGateway, client: httpx.Client
) -> None:
    message_id = send(client).json()["id"]
    other = gateway.account("other")
    with gateway.client(other) as stranger:
        response = stranger.get(f"/v1/messages/{message_id}")
        assert response.status_code == 404
        assert response.json()["code"] == 20404
        assert stranger.get("/v1/messages").json()["messages"] == []


def test_idempotency_key_replays_the_same_message(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "order-42"}
    payload = {"to": RECIPIENT, "from": SENDER, "body": "once"}
    first = client.post("/v1/messages", json=payload, headers=headers)
    second = client.post("/v1/messages", json=payload, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/messages").json()["messages"]) == 1


def test_idempotency_key_with_another_body_is_a_conflict(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "order-43"}
    client.post(
        "/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "a"}, headers=headers
    )
    response = client.post(
        "/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "b"}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == 20409
    assert len(client.get("/v1/messages").json()["messages"]) == 1


def test_concurrent_identical_idempotent_requests_create_one_message(
    gateway: RunningGateway, account: Credentials
) -> None:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "race"}

    def post(_: int) -> str:
        with gateway.client(account) as http:
            response = http.post(
                "/v1/messages", json=payload, headers={"Idempotency-Key": "race-1"}
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = set(pool.map(post, range(32)))
    assert len(ids) == 1
    with gateway.client(account) as http:
        assert len(http.get("/v1/messages").json()["messages"]) == 1


def test_list_filters_and_paginates_with_a_cursor(client: httpx.Client) -> None:
    ids = [send(client, body=f"n{i}").json()["id"] for i in range(5)]
    send(client, to="+14155552672", body="elsewhere")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"to": RECIPIENT, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/messages", params=params).json()
        seen += [m["id"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))


def test_list_rejects_a_forged_cursor_and_a_bad_status(client: httpx.Client) -> None:
    bad_cursor = client.get("/v1/messages", params={"cursor": "nonsense!"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["field"] == "cursor"
    bad_status = client.get("/v1/messages", params={"status": "lost"})
    assert bad_status.status_code == 400
    assert bad_status.headers["content-type"] == "application/problem+json"


def test_preview_validates_and_prices_without_storing(client: httpx.Client) -> None:
    response = client.post(
        "/v1/messages/preview", json={"to": RECIPIENT, "from": SENDER, "body": "x" * 161}
    )
    assert response.status_code == 200
    preview = response.json()
    assert preview["segments"] == 2
    assert preview["characters_per_segment"] == 153
    assert preview["parts"] == ["x" * 153, "x" * 8]
    assert preview["price"] == "0.0158"
    assert client.get("/v1/messages").json()["messages"] == []


def test_list_filters_by_creation_time_and_status(client: httpx.Client) -> None:
    first = send(client, body="first").json()
    second = send(client, body="second").json()
    after_first = client.get("/v1/messages", params={"created_after": first["created_at"]})
    assert [m["id"] for m in after_first.json()["messages"]] == [second["id"]]
    before_second = client.get("/v1/messages", params={"created_before": second["created_at"]})
    assert [m["id"] for m in before_second.json()["messages"]] == [first["id"]]
    inbound = client.get("/v1/messages", params={"direction": "inbound"})
    assert inbound.json()["messages"] == []
    bad_time = client.get("/v1/messages", params={"created_after": "yesterday"})
    assert bad_time.status_code == 400
    assert bad_time.json()["field"] == "created_after"

"""Every bad request gets a problem+json with its own code, and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import RECIPIENT, SENDER


def assert_problem(response: httpx.Response, status: int, code: int, field: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem.get("field") == field
    assert problem["title"]
    assert problem["detail"].endswith(".")


@pytest.mark.parametrize(
    ("fields", "code", "field", "says"),
    [
        ({"to": "+1 (415) 555-2671"}, 21211, "to", "+14155552671"),
        ({"to": "004915112345678"}, 21211, "to", "+4915112345678"),
        ({"to": "4155552671"}, 21211, "to", "E.164"),
        ({"to": "+99912345678"}, 21211, "to", "not a valid phone number"),
        ({"to": "+442071838750"}, 21211, "to", "landline"),
        ({"to": "+18005551234"}, 21211, "to", "toll-free"),
        ({"from": "+14155550000"}, 21606, "from", "not a number of this account"),
        ({"from": "Way Too Long Sender"}, 21212, "from", "alphanumeric"),
        ({"from": "12"}, 21212, "from", "E.164"),
        ({"from": "12345"}, 21606, "from", "not a number of this account"),
        ({"body": ""}, 21602, "body", "empty"),
        ({"body": "x" * 1601}, 21617, "body", "1601"),
        ({"validity_period": 0}, 21620, "validity_period", "1 to 36000"),
        ({"validity_period": 36001}, 21620, "validity_period", "1 to 36000"),
        ({"status_callback": "ftp://example.com/x"}, 21620, "status_callback", "http"),
        ({"status_callback": "http://10.0.0.1/hook"}, 21620, "status_callback", "non-public"),
        ({"status_callback": "http://localhost/hook"}, 21620, "status_callback", "local"),
        ({"surprise": 1}, 20001, "surprise", "not a field"),
        ({"to": 14155552671}, 21211, "to", "str"),
    ],
)
def test_bad_fields(
    client: httpx.Client, fields: dict[str, object], code: int, field: str, says: str
) -> None:
    payload = {"to": RECIPIENT, "from": SENDER, "body": "hello"} | fields
    response = client.post("/v1/messages", json=payload)
    assert_problem(response, 400, code, field)
    assert says in response.json()["detail"]
    assert client.get("/v1/messages").json()["messages"] == []


def test_missing_field_names_it(client: httpx.Client) -> None:
    response = client.post("/v1/messages", json={"to": RECIPIENT, "from": SENDER})
    assert_problem(response, 400, 21602, "body")


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/messages", content=b'{"to": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, 20001, None)
    assert "not valid JSON" in response.json()["detail"]


def test_json_that_is_not_an_object_is_400(client: httpx.Client) -> None:
    response = client.post("/v1/messages", json=["to", RECIPIENT])
    assert_problem(response, 400, 20001, None)


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    response = client.post("/v1/messages", data={"to": RECIPIENT, "from": SENDER, "body": "x"})
    assert_problem(response, 415, 20415, None)


def test_unknown_path_and_method_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/nowhere"), 404, 20404, None)
    assert_problem(client.delete("/v1/messages"), 405, 20001, None)


def test_overlong_idempotency_key_is_refused(client: httpx.Client) -> None:
    response = client.post(
        "/v1/messages",
        json={"to": RECIPIENT, "from": SENDER, "body": "x"},
        headers={"Idempotency-Key": "k" * 256},
    )
    assert_problem(response, 400, 21620, "Idempotency-Key")

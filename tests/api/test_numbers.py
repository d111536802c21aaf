"""`/v1/numbers`: register, list, change and release the numbers an account uses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from smsgate.domain.keywords import DEFAULT_REPLIES, Keyword
from tests.conftest import RECIPIENT, RunningGateway


@pytest.fixture
def http(gateway: RunningGateway) -> Any:
    with gateway.client(gateway.account("acme")) as client:
        yield client


def test_create_infers_the_type_and_fills_in_defaults(http: httpx.Client) -> None:
    created = http.post("/v1/numbers", json={"number": "+18005550100"})
    assert created.status_code == 201, created.text
    number = created.json()
    assert number["id"].startswith("PN")
    assert created.headers["location"] == f"/v1/numbers/{number['id']}"
    assert number == {
        "id": number["id"],
        "number": "+18005550100",
        "type": "toll_free",
        "mps": 3,
        "inbound_url": None,
        "status_callback": None,
        "marketing": False,
        "keyword_replies": {k.value: DEFAULT_REPLIES[k] for k in Keyword},
        "created_at": number["created_at"],
        "uri": f"/v1/numbers/{number['id']}",
    }


@pytest.mark.parametrize(
    ("value", "kind", "mps"),
    [
        ("+15005550006", "long_code", 1),
        ("12345", "short_code", 100),
        ("ACME", "alphanumeric", 10),
    ],
)
def test_each_type_has_its_rate(http: httpx.Client, value: str, kind: str, mps: int) -> None:
    number = http.post("/v1/numbers", json={"number": value}).json()
    assert (number["type"], number["mps"]) == (kind, mps)


def test_every_field_can_be_given(http: httpx.Client) -> None:
    body = {
        "number": "+15005550006",
        "type": "long_code",
        "inbound_url": "https://example.com/in",
        "status_callback": "https://example.com/status",
        "mps": 5,
        "marketing": True,
        "keyword_replies": {"stop": "Bye.", "start": None, "help": "Help text."},
    }
    number = http.post("/v1/numbers", json=body).json()
    assert number["mps"] == 5
    assert number["marketing"] is True
    assert number["keyword_replies"] == {
        "stop": "Bye.",
        "start": DEFAULT_REPLIES[Keyword.START],
        "help": "Help text.",
    }
    assert http.get(f"/v1/numbers/{number['id']}").json() == number


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"number": "+1415"}, 400, 21212, "number"),
        ({"number": "12345", "type": "long_code"}, 400, 21212, "type"),
        ({"number": "+15005550006", "type": "landline"}, 400, 20001, "type"),
        ({"number": "+15005550006", "mps": 0}, 400, 21620, "mps"),
        ({"number": "+15005550006", "inbound_url": "ftp://x"}, 400, 21620, "inbound_url"),
        (
            {"number": "+15005550006", "status_callback": "http://10.0.0.1/"},
            400,
            21620,
            "status_callback",
        ),
        (
            {"number": "+15005550006", "keyword_replies": {"help": " "}},
            400,
            21620,
            "keyword_replies.help",
        ),
        ({"number": "+15005550006", "colour": "red"}, 400, 20001, "colour"),
        ({}, 400, 20001, "number"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    http: httpx.Client, body: dict[str, Any], status: int, code: int, field: str
) -> None:
    response = http.post("/v1/numbers", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert http.get("/v1/numbers").json()["numbers"] == []


def test_a_registered_number_is_a_conflict(gateway: RunningGateway, http: httpx.Client) -> None:
    assert http.post("/v1/numbers", json={"number": "+15005550006"}).status_code == 201
    again = http.post("/v1/numbers", json={"number": "+15005550006"})
    assert (again.status_code, again.json()["code"]) == (409, 20409)
    with gateway.client(gateway.account("other")) as other:
        assert other.post("/v1/numbers", json={"number": "+15005550006"}).status_code == 409


def test_list_pages_oldest_first(http: httpx.Client) -> None:
    for n in range(5):
        http.post("/v1/numbers", json={"number": f"+1500555001{n}"})
    first = http.get("/v1/numbers", params={"limit": 3}).json()
    assert first["has_more"] is True
    rest = http.get("/v1/numbers", params={"cursor": first["next_cursor"]}).json()
    assert rest["has_more"] is False
    assert [n["number"] for n in first["numbers"] + rest["numbers"]] == [
        f"+1500555001{n}" for n in range(5)
    ]
    assert http.get("/v1/numbers", params={"cursor": "nonsense"}).json()["code"] == 21620


def test_patch_changes_only_what_is_given(http: httpx.Client) -> None:
    number = http.post(
        "/v1/numbers", json={"number": "+15005550006", "inbound_url": "https://example.com/in"}
    ).json()
    url = f"/v1/numbers/{number['id']}"
    patched = http.patch(url, json={"mps": 2, "keyword_replies": {"help": "Call us."}}).json()
    assert patched["mps"] == 2
    assert patched["inbound_url"] == "https://example.com/in"
    assert patched["keyword_replies"]["help"] == "Call us."
    reset = http.patch(url, json={"mps": None, "keyword_replies": {"help": None}}).json()
    assert reset["mps"] == 1
    assert reset["keyword_replies"]["help"] == DEFAULT_REPLIES[Keyword.HELP]
    assert http.patch(url, json={"type": "toll_free"}).json()["mps"] == 3
    bad = http.patch(url, json={"number": "+15005550007"})
    assert (bad.status_code, bad.json()["field"]) == (400, "number")
    assert http.patch(url, json={"mps": -1}).json()["code"] == 21620


def test_delete_releases_the_number(http: httpx.Client) -> None:
    number = http.post("/v1/numbers", json={"number": "+15005550006"}).json()
    assert http.delete(f"/v1/numbers/{number['id']}").status_code == 204
    assert http.get(f"/v1/numbers/{number['id']}").status_code == 404
    assert http.delete(f"/v1/numbers/{number['id']}").status_code == 404


def test_another_accounts_number_is_not_found(gateway: RunningGateway, http: httpx.Client) -> None:
    number = http.post("/v1/numbers", json={"number": "+15005550006"}).json()
    with gateway.client(gateway.account("other")) as other:
        path = f"/v1/numbers/{number['id']}"
        assert other.get(path).status_code == 404
        assert other.patch(path, json={"mps": 9}).status_code == 404
        assert other.delete(path).status_code == 404
        assert other.get("/v1/numbers").json()["numbers"] == []
        sent = other.post(
            "/v1/messages", json={"to": RECIPIENT, "from": "+15005550006", "body": "hi"}
        )
        assert sent.json()["code"] == 21606
    assert http.get(f"/v1/numbers/{number['id']}").json()["mps"] == 1


def test_a_short_code_sends_once_registered(http: httpx.Client) -> None:
    body = {"to": RECIPIENT, "from": "12345", "body": "hi"}
    assert http.post("/v1/messages", json=body).json()["code"] == 21606
    http.post("/v1/numbers", json={"number": "12345"})
    assert http.post("/v1/messages", json=body).status_code == 201

"""`/v1/opt-outs`: add, list, remove, import (JSON and CSV), export, and the audit trail."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway

OTHER_HANDSET = "+14155552672"


@pytest.fixture
def http(client: httpx.Client) -> httpx.Client:
    return client


def send(http: httpx.Client, to: str = RECIPIENT) -> httpx.Response:
    return http.post("/v1/messages", json={"to": to, "from": SENDER, "body": "hello"})


def test_add_blocks_sends_and_remove_lifts_it(http: httpx.Client) -> None:
    created = http.post("/v1/opt-outs", json={"phone": RECIPIENT})
    assert created.status_code == 201, created.text
    assert created.json()["number"] is None
    assert created.json()["source"] == "api"
    again = http.post("/v1/opt-outs", json={"phone": RECIPIENT})
    assert again.status_code == 200
    assert again.json() == created.json()
    refused = send(http)
    assert (refused.status_code, refused.json()["code"]) == (400, 21610)
    preview = http.post(
        "/v1/messages/preview", json={"to": RECIPIENT, "from": SENDER, "body": "hello"}
    )
    assert preview.json()["code"] == 21610
    assert send(http, OTHER_HANDSET).status_code == 201
    assert http.delete(f"/v1/opt-outs/{RECIPIENT}").status_code == 204
    assert send(http).status_code == 201
    missing = http.delete(f"/v1/opt-outs/{RECIPIENT}")
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)


def test_an_opt_out_of_one_number_leaves_the_others(
    gateway: RunningGateway, account: Credentials, http: httpx.Client
) -> None:
    gateway.add_number(account, "+15005550007")
    http.post("/v1/opt-outs", json={"phone": RECIPIENT, "number": SENDER})
    assert send(http).json()["code"] == 21610
    other = http.post(
        "/v1/messages", json={"to": RECIPIENT, "from": "+15005550007", "body": "hello"}
    )
    assert other.status_code == 201
    listed = http.get("/v1/opt-outs", params={"number": SENDER}).json()["opt_outs"]
    assert [(e["phone"], e["number"]) for e in listed] == [(RECIPIENT, SENDER)]
    assert http.delete(f"/v1/opt-outs/{RECIPIENT}").status_code == 404  # not account-wide
    assert http.delete(f"/v1/opt-outs/{RECIPIENT}", params={"number": SENDER}).status_code == 204


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"phone": "415 555 2671"}, 21211, "phone"),
        ({"phone": RECIPIENT, "number": "+15005550009"}, 21606, "number"),
        ({"number": SENDER}, 20001, "phone"),
    ],
)
def test_bad_opt_outs_are_refused(
    http: httpx.Client, body: dict[str, Any], code: int, field: str
) -> None:
    response = http.post("/v1/opt-outs", json=body)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        400,
        code,
        field,
    )
    assert http.get("/v1/opt-outs").json()["opt_outs"] == []


def test_import_json_counts_and_rejects_by_row(http: httpx.Client) -> None:
    http.post("/v1/opt-outs", json={"phone": OTHER_HANDSET})
    result = http.post(
        "/v1/opt-outs/import",
        json={
            "opt_outs": [
                {"phone": RECIPIENT, "number": SENDER},
                {"phone": OTHER_HANDSET},
                {"phone": "nope"},
                {"phone": RECIPIENT, "number": "+15005550009"},
            ]
        },
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["imported"], body["existing"]) == (1, 1)
    assert [(r["row"], r["phone"], r["code"]) for r in body["rejected"]] == [
        (3, "nope", 21211),
        (4, RECIPIENT, 21606),
    ]
    sources = {e["phone"]: e["source"] for e in http.get("/v1/opt-outs").json()["opt_outs"]}
    assert sources == {OTHER_HANDSET: "api", RECIPIENT: "import"}


def test_export_then_import_round_trips(gateway: RunningGateway, http: httpx.Client) -> None:
    http.post("/v1/opt-outs", json={"phone": RECIPIENT, "number": SENDER})
    http.post("/v1/opt-outs", json={"phone": OTHER_HANDSET})
    exported = http.get("/v1/opt-outs/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["phone"], r["number"], r["source"]) for r in rows] == [
        (RECIPIENT, SENDER, "api"),
        (OTHER_HANDSET, "", "api"),
    ]
    assert exported.text.splitlines()[0] == "phone,number,source,created_at"

    fresh = gateway.account("fresh")
    gateway.add_number(fresh, "+15005550007")
    with gateway.client(fresh) as other:
        # The fresh account does not own SENDER: that row is refused, the other imported.
        result = other.post(
            "/v1/opt-outs/import",
            content=exported.content,
            headers={"content-type": "text/csv"},
        ).json()
        assert (result["imported"], [r["row"] for r in result["rejected"]]) == (1, [1])
    # Into the same account (emptied first): everything comes back as it was.
    for row in rows:
        http.delete(f"/v1/opt-outs/{row['phone']}", params={"number": row["number"] or None})
    assert http.get("/v1/opt-outs").json()["opt_outs"] == []
    result = http.post(
        "/v1/opt-outs/import", content=exported.content, headers={"content-type": "text/csv"}
    ).json()
    assert (result["imported"], result["existing"], result["rejected"]) == (2, 0, [])
    again = list(csv.DictReader(io.StringIO(http.get("/v1/opt-outs/export").text)))
    assert [(r["phone"], r["number"], r["source"]) for r in again] == [
        (RECIPIENT, SENDER, "import"),
        (OTHER_HANDSET, "", "import"),
    ]


def test_a_csv_without_a_phone_column_is_refused(http: httpx.Client) -> None:
    response = http.post(
        "/v1/opt-outs/import", content=b"number\n+1500", headers={"content-type": "text/csv"}
    )
    assert (response.status_code, response.json()["code"]) == (400, 20001)


def test_every_change_is_audited(http: httpx.Client) -> None:
    http.post("/v1/opt-outs", json={"phone": RECIPIENT})
    http.delete(f"/v1/opt-outs/{RECIPIENT}")
    http.post("/v1/opt-outs/import", json={"opt_outs": [{"phone": RECIPIENT}]})
    events = http.get("/v1/opt-outs/events").json()
    assert [(e["phone"], e["number"], e["action"], e["source"]) for e in events["events"]] == [
        (RECIPIENT, None, "opt_out", "api"),
        (RECIPIENT, None, "opt_in", "api"),
        (RECIPIENT, None, "opt_out", "import"),
    ]
    assert all(e["at"].endswith("Z") for e in events["events"])
    page = http.get("/v1/opt-outs/events", params={"limit": 2}).json()
    assert page["has_more"] is True
    rest = http.get("/v1/opt-outs/events", params={"cursor": page["next_cursor"]}).json()
    assert [e["source"] for e in rest["events"]] == ["import"]


def test_another_account_sees_none_of_it(gateway: RunningGateway, http: httpx.Client) -> None:
    http.post("/v1/opt-outs", json={"phone": RECIPIENT})
    with gateway.client(gateway.account("other")) as other:
        assert other.get("/v1/opt-outs").json()["opt_outs"] == []
        assert other.get("/v1/opt-outs/events").json()["events"] == []
        assert other.get("/v1/opt-outs/export").text.strip() == "phone,number,source,created_at"
        assert other.delete(f"/v1/opt-outs/{RECIPIENT}").status_code == 404
    assert len(http.get("/v1/opt-outs").json()["opt_outs"]) == 1

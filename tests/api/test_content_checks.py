"""Content checks on send and preview: warnings, or 30007 errors under policy "reject"."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import RECIPIENT, SENDER, RunningGateway


def message(body: str, sender: str = SENDER) -> dict[str, str]:
    return {"to": RECIPIENT, "from": sender, "body": body}


def test_create_and_preview_return_warnings(client: httpx.Client) -> None:
    clean = client.post("/v1/messages", json=message("Your code is 123456"))
    assert clean.json()["warnings"] == []
    spammy = client.post("/v1/messages", json=message("FREE gift!! bit.ly/x"))
    assert spammy.status_code == 201
    assert [w["code"] for w in spammy.json()["warnings"]] == [
        "all_caps",
        "repeated_exclamation",
        "url_shortener",
    ]
    preview = client.post("/v1/messages/preview", json=message("FREE gift!! bit.ly/x"))
    assert preview.json()["warnings"] == spammy.json()["warnings"]


def test_a_marketing_number_wants_opt_out_language(client: httpx.Client) -> None:
    number = client.post("/v1/numbers", json={"number": "+15005550007", "marketing": True})
    assert number.status_code == 201
    plain = client.post("/v1/messages", json=message("20% off today", "+15005550007"))
    assert [w["code"] for w in plain.json()["warnings"]] == ["missing_opt_out"]
    polite = client.post(
        "/v1/messages", json=message("20% off today. Reply STOP to opt out", "+15005550007")
    )
    assert polite.json()["warnings"] == []


def test_policy_reject_refuses_with_30007_and_stores_nothing(start_gateway: Any) -> None:
    running: RunningGateway = start_gateway(content_policy="reject")
    acme = running.account("acme")
    running.add_number(acme, SENDER)
    with running.client(acme) as http:
        refused = http.post("/v1/messages", json=message("FREE gift!!"))
        assert refused.status_code == 400
        problem = refused.json()
        assert (problem["code"], problem["field"]) == (30007, "body")
        assert "capitals" in problem["detail"]
        assert http.post("/v1/messages/preview", json=message("Wow!!")).json()["code"] == 30007
        assert http.get("/v1/messages").json()["messages"] == []
        assert http.post("/v1/messages", json=message("Your code is 1234")).status_code == 201

"""`/v1/connectors` and `/v1/routes` over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smsgate.store import accounts as account_store
from smsgate.store.schema import messages
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for


def operator(gateway: RunningGateway, name: str = "ops") -> Credentials:
    credentials = gateway.account(name, mode="live")
    gateway.database.run_sync(lambda c: account_store.set_operator(c, name, True))
    return credentials


def sim_connector(gateway: RunningGateway, name: str = "sim2", **extra: Any) -> dict[str, Any]:
    assert gateway.gateway.simulator is not None
    return {
        "name": name,
        "kind": "simulator",
        "host": "127.0.0.1",
        "port": gateway.gateway.simulator.port,
        "system_id": "smsgate",
        "password": "secret",
        "tps": 100,
        **extra,
    }


def by_name(response: httpx.Response) -> dict[str, Any]:
    return {found["name"]: found for found in response.json()["connectors"]}


def test_only_operators_see_or_change_connectors_and_routes(gateway: RunningGateway) -> None:
    someone = gateway.account("someone")
    with gateway.client(someone) as http:
        for method, path in [
            ("GET", "/v1/connectors"),
            ("POST", "/v1/connectors"),
            ("DELETE", "/v1/connectors/x"),
            ("GET", "/v1/routes"),
            ("POST", "/v1/routes"),
        ]:
            answer = http.request(method, path, json={})
            assert answer.status_code == 403, path
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == 20403
    with gateway.client() as anonymous:
        assert anonymous.get("/v1/connectors").status_code == 401


def test_an_operator_adds_a_connector_and_sees_it_bind(gateway: RunningGateway) -> None:
    with gateway.client(operator(gateway)) as http:
        added = http.post("/v1/connectors", json=sim_connector(gateway))
        assert added.status_code == 201
        assert "password" not in added.json()
        state = wait_for(
            lambda: (
                (found := by_name(http.get("/v1/connectors")))["sim2"]["state"]["bound"] and found
            )
        )
        assert state["simulator"]["builtin"] is True
        assert state["simulator"]["state"]["bound"] is True
        listed = http.get("/v1/connectors")
        assert "secret" not in listed.text.replace('"system_id":"smsgate"', "")
        assert set(state["sim2"]["state"]) >= {
            "bound",
            "window_in_use",
            "tps",
            "tps_limit",
            "queue_depth",
            "errors_last_minute",
        }
        one = http.get("/v1/connectors/sim2").json()
        assert one["tps"] == 100
        assert one["state"]["tps_limit"] == 100
        assert http.delete("/v1/connectors/sim2").status_code == 204
        assert http.get("/v1/connectors/sim2").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"host": None}, 400, "host"),
        ({"port": 0}, 400, "port"),
        ({"port": "2775"}, 400, "port"),
        ({"kind": "http"}, 400, "kind"),
        ({"window": 0}, 400, "window"),
        ({"tps": -5}, 400, "tps"),
        ({"password": "far too long"}, 400, "password"),
        ({"bind_mode": "receiver"}, 400, "bind_mode"),
        ({"colour": "red"}, 400, "colour"),
        ({"name": "simulator"}, 400, "name"),
        ({"name": "has space"}, 400, "name"),
    ],
)
def test_bad_connectors_are_refused_and_nothing_is_stored(
    gateway: RunningGateway, change: dict[str, Any], status: int, field: str
) -> None:
    with gateway.client(operator(gateway)) as http:
        answer = http.post("/v1/connectors", json=sim_connector(gateway, **change))
        assert answer.status_code == status
        assert answer.json()["field"] == field
        assert set(by_name(http.get("/v1/connectors"))) == {"simulator"}


def test_conflicts_and_missing_ones_get_specific_errors(gateway: RunningGateway) -> None:
    with gateway.client(operator(gateway)) as http:
        assert http.post("/v1/connectors", json=sim_connector(gateway)).status_code == 201
        again = http.post("/v1/connectors", json=sim_connector(gateway))
        assert again.status_code == 409
        assert http.delete("/v1/connectors/nope").status_code == 404
        assert http.delete("/v1/routes/nope").status_code == 404
        route = {"name": "all", "connectors": ["sim2"]}
        assert http.post("/v1/routes", json=route).status_code == 201
        in_use = http.delete("/v1/connectors/sim2")
        assert in_use.status_code == 409
        assert "all" in in_use.json()["detail"]
        unknown = http.post("/v1/routes", json={"name": "x", "connectors": ["nope"]})
        assert unknown.status_code == 400
        assert unknown.json()["field"] == "connectors"
        not_json = http.post(
            "/v1/routes", content=b"{", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400
        assert [r["name"] for r in http.get("/v1/routes").json()["routes"]] == ["all"]


def test_a_route_sends_live_messages_through_its_connector(gateway: RunningGateway) -> None:
    ops = operator(gateway)
    with gateway.client(ops) as http:
        assert http.post("/v1/connectors", json=sim_connector(gateway)).status_code == 201
        route = {"name": "live-to-sim", "mode": "live", "country": "US", "connectors": ["sim2"]}
        assert http.post("/v1/routes", json=route).status_code == 201
    customer = gateway.account("customer", mode="live")
    gateway.add_number(customer, SENDER)
    with gateway.client(customer) as http:
        sent = http.post("/v1/messages", json={"to": RECIPIENT, "from": SENDER, "body": "hi"})
        assert sent.status_code == 201
        wait_for(
            lambda: (
                http.get(f"/v1/messages/{sent.json()['id']}").json()["status"]
                in ("sent", "delivered")
            ),
            timeout=20,
        )
    # The receipt may reach the sandbox's bind (it shares the system_id), so "sent" is
    # where this message may stay; the store says which connector took it.
    connector = gateway.database.run_sync(
        lambda c: c.execute(
            select(messages.c.connector).where(messages.c.id == sent.json()["id"])
        ).scalar()
    )
    assert connector == "sim2"


def test_connectors_and_routes_survive_a_restart(
    start_gateway: Callable[..., RunningGateway],
) -> None:
    first = start_gateway()
    ops = operator(first)
    with first.client(ops) as http:
        assert http.post("/v1/connectors", json=sim_connector(first, port=2999)).status_code == 201
        assert (
            http.post("/v1/routes", json={"name": "r", "connectors": ["sim2"]}).status_code == 201
        )
    first.stop()
    second = start_gateway()
    with second.client(ops) as http:
        assert "sim2" in by_name(http.get("/v1/connectors"))
        assert [r["name"] for r in http.get("/v1/routes").json()["routes"]] == ["r"]

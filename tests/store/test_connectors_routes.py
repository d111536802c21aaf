"""Connectors, routes and `config apply` in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.domain.connectors import ConnectorSpec
from smsgate.domain.ids import new_message_id
from smsgate.domain.routing import RouteRule
from smsgate.errors import ConflictError, InvalidParameterError, NotFoundError, ValidationError
from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from smsgate.store.declarations import apply_declarations
from smsgate.store.messages import CreateMessage
from smsgate.store.queue import ClaimDue
from tests.conftest import new_record

CARRIER_A: dict[str, Any] = {
    "name": "carrier-a",
    "host": "smpp.a.example",
    "port": 2775,
    "system_id": "acme",
    "password": "s3cret",
    "tps": 50,
}
SIM: dict[str, Any] = {
    "name": "sim",
    "kind": "simulator",
    "host": "127.0.0.1",
    "port": 2776,
    "system_id": "smsgate",
    "password": "secret",
}
US: dict[str, Any] = {
    "name": "us",
    "country": "US",
    "priority": 10,
    "connectors": ["carrier-a", "carrier"],
}


def spec(**overrides: Any) -> ConnectorSpec:
    return ConnectorSpec(**{**CARRIER_A, "tps": 50.0, **overrides})


def test_connectors_and_routes_outlive_the_process(database_url: str) -> None:
    first = Database.from_url(database_url)
    first.migrate()
    first.run_sync(lambda c: connector_store.add_connector(c, spec()))
    first.run_sync(lambda c: route_store.add_route(c, RouteRule("us", ("carrier-a",))))
    first.dispose()

    second = Database.from_url(database_url)
    second.migrate()
    try:
        [stored] = second.run_sync(connector_store.list_connectors)
        assert stored == spec()
        assert stored.password == "s3cret", "kept as given: the bind must send it"
        assert second.run_sync(route_store.list_routes) == (RouteRule("us", ("carrier-a",)),)
    finally:
        second.dispose()


def test_a_connector_in_use_cannot_be_removed(database: Database) -> None:
    database.run_sync(lambda c: connector_store.add_connector(c, spec()))
    database.run_sync(lambda c: route_store.add_route(c, RouteRule("us", ("carrier-a",))))
    with pytest.raises(ConflictError, match="used by the route"):
        database.run_sync(lambda c: connector_store.remove_connector(c, "carrier-a"))
    database.run_sync(lambda c: route_store.remove_route(c, "us"))
    database.run_sync(lambda c: connector_store.remove_connector(c, "carrier-a"))
    assert database.run_sync(connector_store.list_connectors) == []
    with pytest.raises(NotFoundError):
        database.run_sync(lambda c: connector_store.remove_connector(c, "carrier-a"))


def test_routes_name_existing_connectors_and_test_routes_only_simulators(
    database: Database,
) -> None:
    database.run_sync(lambda c: connector_store.add_connector(c, spec()))
    with pytest.raises(InvalidParameterError, match="No connector is named 'nope'"):
        database.run_sync(lambda c: route_store.add_route(c, RouteRule("r", ("nope",))))
    with pytest.raises(InvalidParameterError, match="test-mode keys never reach a carrier"):
        database.run_sync(
            lambda c: route_store.add_route(c, RouteRule("t", ("carrier-a",), mode="test"))
        )
    with pytest.raises(InvalidParameterError, match="No account"):
        database.run_sync(
            lambda c: route_store.add_route(c, RouteRule("t", ("simulator",), account_id="ACx"))
        )
    assert database.run_sync(route_store.list_routes) == ()


def test_applying_the_same_declarations_twice_changes_nothing(database: Database) -> None:
    database.run_sync(lambda c: account_store.create_account(c, "acme"))
    routes = [US, {"name": "acme", "account": "acme", "connectors": ["sim"], "mode": "live"}]
    first = database.run_sync(
        lambda c: apply_declarations(c, [CARRIER_A, SIM], routes, prune=False)
    )
    assert first.connectors == {"carrier-a": "created", "sim": "created"}
    assert first.routes == {"us": "created", "acme": "created"}
    again = database.run_sync(
        lambda c: apply_declarations(c, [CARRIER_A, SIM], routes, prune=False)
    )
    assert set(again.connectors.values()) == set(again.routes.values()) == {"unchanged"}

    changed = database.run_sync(
        lambda c: apply_declarations(c, [{**CARRIER_A, "tps": 80}, SIM], routes, prune=False)
    )
    assert changed.connectors == {"carrier-a": "updated", "sim": "unchanged"}
    assert database.run_sync(lambda c: connector_store.get_connector(c, "carrier-a")).tps == 80


def test_undeclared_ones_are_kept_unless_pruned(database: Database) -> None:
    database.run_sync(lambda c: apply_declarations(c, [CARRIER_A, SIM], [US], prune=False))
    kept = database.run_sync(lambda c: apply_declarations(c, [CARRIER_A], [], prune=False))
    assert kept.routes == {}
    assert [s.name for s in database.run_sync(connector_store.list_connectors)] == [
        "carrier-a",
        "sim",
    ]
    pruned = database.run_sync(lambda c: apply_declarations(c, [CARRIER_A], [], prune=True))
    assert pruned.routes == {"us": "removed"}
    assert pruned.connectors == {"carrier-a": "unchanged", "sim": "removed"}
    assert database.run_sync(route_store.list_routes) == ()


@pytest.mark.parametrize(
    ("connectors", "routes", "message"),
    [
        ([{**SIM, "port": 70000}], [], r"\[\[connectors\]\] entry 1 \('sim'\): port 70000"),
        ([SIM, {**CARRIER_A, "password": "far too long"}], [], "entry 2 .* at most 8"),
        ([SIM, SIM], [], "declares the connector 'sim' twice"),
        ([SIM], [{"name": "r", "connectors": ["nope"]}], "entry 1 .* No connector"),
        ([SIM], [{"name": "r", "account": "nobody", "connectors": ["sim"]}], "No account"),
        ([{**SIM, "name": "simulator"}], [], "built-in"),
    ],
)
def test_a_bad_declaration_changes_nothing(
    database: Database, connectors: list[Any], routes: list[Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        database.run_sync(lambda c: apply_declarations(c, connectors, routes, prune=False))
    assert database.run_sync(connector_store.list_connectors) == []
    assert database.run_sync(route_store.list_routes) == ()


def test_a_claim_leaves_a_busy_senders_later_messages_queued_in_order(
    database: Database,
) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    records = []
    for index, sender in enumerate(["+15005550006"] * 5 + ["+15005550007"] * 2):
        record = dataclasses.replace(
            new_record(account.id), id=new_message_id(), from_=sender, body=str(index)
        )
        database.run_sync(CreateMessage(record, next_attempt_at=record.created_at).run)
        records.append(record)
    now = datetime.now(UTC)

    def room(sender: str) -> int:
        return 2 if sender == "+15005550006" else 10

    claimed = database.run_sync(ClaimDue(now, timedelta(seconds=60), 100, sender_room=room).run)
    assert [m.body for m in claimed] == ["0", "1", "5", "6"]
    again = database.run_sync(
        ClaimDue(now, timedelta(seconds=60), 100, full_senders=frozenset({"+15005550006"})).run
    )
    assert again == []  # the other sender's are all in hand; the busy one's are skipped
    rest = database.run_sync(ClaimDue(now, timedelta(seconds=60), 100).run)
    assert [m.body for m in rest] == ["2", "3", "4"]


def test_a_simulator_in_a_test_route_cannot_become_a_carrier(database: Database) -> None:
    test_route = {"name": "t", "mode": "test", "connectors": ["sim"]}
    database.run_sync(lambda c: apply_declarations(c, [SIM], [test_route], prune=False))
    with pytest.raises(ValidationError, match="must stay a simulator"):
        database.run_sync(
            lambda c: apply_declarations(c, [{**SIM, "kind": "smpp"}], [test_route], prune=False)
        )
    assert database.run_sync(lambda c: connector_store.get_connector(c, "sim")).kind == "simulator"

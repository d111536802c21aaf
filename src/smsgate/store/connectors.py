"""Connectors declared by operators: carrier binds kept in the store, so they outlive a
restart and every node of a cluster runs the same ones."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from smsgate.domain.connectors import ConnectorSpec
from smsgate.errors import ConflictError, InvalidParameterError, NotFoundError
from smsgate.store.schema import connectors, routes


def _spec(row: Any) -> ConnectorSpec:
    return ConnectorSpec(
        name=row.name,
        kind=row.kind,
        host=row.host,
        port=row.port,
        system_id=row.system_id,
        password=row.password,
        system_type=row.system_type,
        bind_mode=row.bind_mode,
        window=row.window,
        tps=row.tps,
        enabled=row.enabled,
    )


def list_connectors(connection: Connection) -> list[ConnectorSpec]:
    return [
        _spec(row) for row in connection.execute(select(connectors).order_by(connectors.c.name))
    ]


def find_connector(connection: Connection, name: str) -> ConnectorSpec | None:
    row = connection.execute(select(connectors).where(connectors.c.name == name)).first()
    return _spec(row) if row else None


def get_connector(connection: Connection, name: str) -> ConnectorSpec:
    spec = find_connector(connection, name)
    if spec is None:
        raise NotFoundError(
            f"No connector is named '{name}'. List them with 'smsgate connectors list'."
        )
    return spec


def add_connector(connection: Connection, spec: ConnectorSpec) -> ConnectorSpec:
    if find_connector(connection, spec.name) is not None:
        raise ConflictError(
            f"A connector named '{spec.name}' already exists; remove it first, or declare it "
            "in the config file and run 'smsgate config apply' to change it."
        )
    now = datetime.now(UTC)
    connection.execute(connectors.insert().values(**asdict(spec), created_at=now, updated_at=now))
    return spec


def put_connector(connection: Connection, spec: ConnectorSpec) -> str:
    """Create or update `spec`; returns "created", "updated" or "unchanged"."""
    existing = find_connector(connection, spec.name)
    if existing == spec:  # the password too: it takes part in ==
        return "unchanged"
    now = datetime.now(UTC)
    if existing is None:
        connection.execute(
            connectors.insert().values(**asdict(spec), created_at=now, updated_at=now)
        )
        return "created"
    if spec.kind != "simulator":
        _refuse_in_test_routes(connection, spec.name)
    connection.execute(
        update(connectors)
        .where(connectors.c.name == spec.name)
        .values(**asdict(spec), updated_at=now)
    )
    return "updated"


def remove_connector(connection: Connection, name: str) -> None:
    """Remove a connector no route uses; ConflictError names the routes that do."""
    get_connector(connection, name)
    users = [
        row.name
        for row in connection.execute(select(routes.c.name, routes.c.connectors))
        if name in _names(row.connectors)
    ]
    if users:
        raise ConflictError(
            f"The connector '{name}' is used by the route(s) {', '.join(sorted(users))}; "
            "remove it from them first."
        )
    connection.execute(delete(connectors).where(connectors.c.name == name))


def _refuse_in_test_routes(connection: Connection, name: str) -> None:
    users = [
        row.name
        for row in connection.execute(
            select(routes.c.name, routes.c.connectors).where(routes.c.mode == "test")
        )
        if name in _names(row.connectors)
    ]
    if users:
        raise InvalidParameterError(
            f"The connector '{name}' is used by the test-mode route(s) "
            f"{', '.join(sorted(users))}, so it must stay a simulator: test-mode keys never "
            "reach a carrier.",
            field="kind",
        )


def _names(value: str) -> list[str]:
    names = json.loads(value)
    assert isinstance(names, list)
    return [str(name) for name in names]

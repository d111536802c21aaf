"""Routes: which connectors a message may leave through, in the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from smsgate.domain.connectors import BUILT_IN
from smsgate.domain.routing import RouteRule, order_routes
from smsgate.errors import ConflictError, InvalidParameterError, NotFoundError
from smsgate.store.schema import accounts, connectors, routes


def _rule(row: Any) -> RouteRule:
    return RouteRule(
        name=row.name,
        connectors=tuple(json.loads(row.connectors)),
        priority=row.priority,
        mode=row.mode,
        prefix=row.prefix,
        country=row.country,
        account_id=row.account_id,
        sender_type=row.sender_type,
    )


def _values(rule: RouteRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "priority": rule.priority,
        "mode": rule.mode,
        "prefix": rule.prefix,
        "country": rule.country,
        "account_id": rule.account_id,
        "sender_type": rule.sender_type,
        "connectors": json.dumps(list(rule.connectors)),
    }


def list_routes(connection: Connection) -> tuple[RouteRule, ...]:
    """Every route, in the order they are tried."""
    return order_routes(_rule(row) for row in connection.execute(select(routes)))


def find_route(connection: Connection, name: str) -> RouteRule | None:
    row = connection.execute(select(routes).where(routes.c.name == name)).first()
    return _rule(row) if row else None


def check_route(connection: Connection, rule: RouteRule) -> None:
    """The route's account and connectors exist, and a test route names only simulators."""
    if rule.account_id is not None:
        found = connection.execute(
            select(accounts.c.id).where(accounts.c.id == rule.account_id)
        ).first()
        if found is None:
            raise InvalidParameterError(
                f"No account has the id '{rule.account_id}'.", field="account_id"
            )
    kinds = {
        row.name: row.kind
        for row in connection.execute(
            select(connectors.c.name, connectors.c.kind).where(
                connectors.c.name.in_(rule.connectors)
            )
        )
    }
    kinds.update({"simulator": "simulator", "carrier": "smpp"})
    unknown = [name for name in rule.connectors if name not in kinds]
    if unknown:
        raise InvalidParameterError(
            f"No connector is named {', '.join(repr(n) for n in unknown)}; add it first "
            f"(built-in ones: {', '.join(sorted(BUILT_IN))}).",
            field="connectors",
        )
    if rule.mode == "test":
        carriers = [name for name in rule.connectors if kinds[name] != "simulator"]
        if carriers:
            raise InvalidParameterError(
                f"A test-mode route may only use simulator connectors, and "
                f"{', '.join(repr(n) for n in carriers)} is a carrier: test-mode keys never "
                "reach a carrier.",
                field="connectors",
            )


def add_route(connection: Connection, rule: RouteRule) -> RouteRule:
    if find_route(connection, rule.name) is not None:
        raise ConflictError(f"A route named '{rule.name}' already exists; remove it first.")
    check_route(connection, rule)
    now = datetime.now(UTC)
    connection.execute(routes.insert().values(**_values(rule), created_at=now, updated_at=now))
    return rule


def put_route(connection: Connection, rule: RouteRule) -> str:
    """Create or update `rule`; returns "created", "updated" or "unchanged"."""
    check_route(connection, rule)
    existing = find_route(connection, rule.name)
    if existing == rule:
        return "unchanged"
    now = datetime.now(UTC)
    if existing is None:
        connection.execute(routes.insert().values(**_values(rule), created_at=now, updated_at=now))
        return "created"
    connection.execute(
        update(routes).where(routes.c.name == rule.name).values(**_values(rule), updated_at=now)
    )
    return "updated"


def remove_route(connection: Connection, name: str) -> None:
    if find_route(connection, name) is None:
        raise NotFoundError(f"No route is named '{name}'. List them with 'smsgate routes list'.")
    connection.execute(delete(routes).where(routes.c.name == name))

"""`smsgate config apply`: make the store's connectors and routes what a file declares.

Idempotent: applying the same file twice changes nothing the second time. Declared
connectors and routes are created or updated; ones the file does not declare are kept,
unless `prune` is set, in which case they are removed (routes first, so no route is left
naming a removed connector). All of it happens in one transaction: a bad entry changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from smsgate.domain.connectors import ConnectorSpec, connector_from_mapping
from smsgate.domain.routing import RouteRule, route_from_mapping
from smsgate.errors import SmsgateError, ValidationError
from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store


@dataclass
class Applied:
    """What `apply_declarations` did, by name: created, updated, unchanged, removed."""

    connectors: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)


def _entry_error(table: str, index: int, data: Any, error: SmsgateError) -> ValidationError:
    name = data.get("name") if isinstance(data, Mapping) else None
    which = f"[[{table}]] entry {index + 1}" + (f" ({name!r})" if name else "")
    detail = str(getattr(error, "detail", None) or error)
    return ValidationError(f"{which}: {detail}", field=getattr(error, "field", None))


def parse_declarations(
    connection: Connection,
    connectors: Sequence[Mapping[str, Any]],
    routes: Sequence[Mapping[str, Any]],
) -> tuple[list[ConnectorSpec], list[RouteRule]]:
    """Check every entry; a route's `account` (name or id) becomes its account_id."""
    specs: list[ConnectorSpec] = []
    for index, data in enumerate(connectors):
        try:
            specs.append(connector_from_mapping(data))
        except SmsgateError as error:
            raise _entry_error("connectors", index, data, error) from None
    rules: list[RouteRule] = []
    for index, data in enumerate(routes):
        try:
            values = dict(data)
            if "account" in values:
                account = account_store.get_account(connection, str(values.pop("account")))
                values["account_id"] = account.id
            rules.append(route_from_mapping(values))
        except SmsgateError as error:
            raise _entry_error("routes", index, data, error) from None
    for kind, names in (("connector", [s.name for s in specs]), ("route", [r.name for r in rules])):
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValidationError(f"The file declares the {kind} {twice[0]!r} twice.")
    return specs, rules


def apply_declarations(
    connection: Connection,
    connectors: Sequence[Mapping[str, Any]],
    routes: Sequence[Mapping[str, Any]],
    *,
    prune: bool,
) -> Applied:
    specs, rules = parse_declarations(connection, connectors, routes)
    applied = Applied()
    if prune:
        declared = {rule.name for rule in rules}
        for rule in route_store.list_routes(connection):
            if rule.name not in declared:
                route_store.remove_route(connection, rule.name)
                applied.routes[rule.name] = "removed"
    for spec in specs:
        applied.connectors[spec.name] = connector_store.put_connector(connection, spec)
    for index, rule in enumerate(rules):
        try:
            applied.routes[rule.name] = route_store.put_route(connection, rule)
        except SmsgateError as error:
            raise _entry_error("routes", index, {"name": rule.name}, error) from None
    if prune:
        declared = {spec.name for spec in specs}
        for spec in connector_store.list_connectors(connection):
            if spec.name not in declared:
                connector_store.remove_connector(connection, spec.name)
                applied.connectors[spec.name] = "removed"
    return applied

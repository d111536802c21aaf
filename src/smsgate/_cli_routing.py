"""`smsgate connectors …`, `smsgate routes …` and `smsgate config apply`: the carrier
links and routes every gateway on the database uses, straight in the store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from smsgate._cli_common import (
    guarded,
    out,
    run_in_store,
    settings,
)
from smsgate.api.routes import route_resource
from smsgate.config import load_settings
from smsgate.delivery.switchboard import describe
from smsgate.domain.connectors import connector_from_mapping
from smsgate.domain.routing import route_from_mapping
from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store
from smsgate.store.declarations import apply_declarations

connectors_app = typer.Typer(
    help="Add, list and remove connectors (carrier binds).", no_args_is_help=True
)
routes_app = typer.Typer(help="Add, list and remove routes.", no_args_is_help=True)
config_app = typer.Typer(help="Apply the connectors and routes a config file declares.")


@connectors_app.command("add")
def connectors_add(
    name: str,
    host: Annotated[str, typer.Option(help="The SMSC's host name or address")],
    system_id: Annotated[str, typer.Option(help="The bind's system_id")],
    password: Annotated[
        str,
        typer.Option(envvar="SMSGATE_CONNECTOR_PASSWORD", help="The bind's password (or env)"),
    ],
    port: Annotated[int, typer.Option(help="The SMSC's port")] = 2775,
    kind: Annotated[str, typer.Option(help="smpp (a carrier) or simulator")] = "smpp",
    system_type: Annotated[str, typer.Option(help="The bind's system_type")] = "",
    bind_mode: Annotated[str, typer.Option(help="transceiver or transmitter_receiver")] = (
        "transceiver"
    ),
    window: Annotated[int, typer.Option(help="submit_sm awaiting an answer at once")] = 64,
    tps: Annotated[
        float | None, typer.Option(help="Most submit_sm a second (none: no cap)")
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Declare it, do not bind")] = False,
) -> None:
    """Add a connector (stored; every gateway on this database binds it)."""
    spec = guarded(
        lambda: connector_from_mapping(
            {
                "name": name,
                "kind": kind,
                "host": host,
                "port": port,
                "system_id": system_id,
                "password": password,
                "system_type": system_type,
                "bind_mode": bind_mode,
                "window": window,
                "tps": tps,
                "enabled": not disabled,
            }
        )
    )
    run_in_store(settings(), lambda c: connector_store.add_connector(c, spec), "adding a connector")
    out.print(
        f"added connector {spec.name} ({spec.kind}, {spec.host}:{spec.port})", highlight=False
    )


@connectors_app.command("list")
def connectors_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the declared connectors (never their passwords). Live state: GET /v1/connectors."""
    found = run_in_store(settings(), connector_store.list_connectors, "listing connectors")
    if as_json:
        print(json.dumps([describe(spec) for spec in found]))
        return
    table = Table("name", "kind", "address", "system_id", "bind", "window", "tps", "enabled")
    for spec in found:
        table.add_row(
            spec.name,
            spec.kind,
            f"{spec.host}:{spec.port}",
            spec.system_id,
            spec.bind_mode,
            str(spec.window),
            "-" if spec.tps is None else f"{spec.tps:g}",
            "yes" if spec.enabled else "no",
        )
    out.print(table)


@connectors_app.command("remove")
def connectors_remove(name: str) -> None:
    """Remove a connector that no route uses."""
    run_in_store(
        settings(), lambda c: connector_store.remove_connector(c, name), "removing a connector"
    )
    out.print(f"removed connector {name}", highlight=False)


@routes_app.command("add")
def routes_add(
    name: str,
    connector: Annotated[
        list[str], typer.Option("--connector", help="A connector, in failover order (repeat)")
    ],
    priority: Annotated[int, typer.Option(help="Lower is tried first")] = 100,
    mode: Annotated[str, typer.Option(help="live or test (which keys' messages)")] = "live",
    prefix: Annotated[str | None, typer.Option(help="Destination prefix, like +1415")] = None,
    country: Annotated[str | None, typer.Option(help="Destination country, like US")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account (name or id)")] = None,
    sender_type: Annotated[
        str | None, typer.Option(help="long_code, toll_free, short_code or alphanumeric")
    ] = None,
) -> None:
    """Add a route: messages matching every criterion given leave through its connectors."""
    declared: dict[str, Any] = {
        "name": name,
        "connectors": connector,
        "priority": priority,
        "mode": mode,
        "prefix": prefix,
        "country": country,
        "sender_type": sender_type,
    }

    def add(connection: Any) -> Any:
        if account is not None:
            declared["account_id"] = account_store.get_account(connection, account).id
        return route_store.add_route(connection, route_from_mapping(declared))

    rule = run_in_store(settings(), add, "adding a route")
    out.print(f"added route {rule.name} -> {', '.join(rule.connectors)}", highlight=False)


@routes_app.command("list")
def routes_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List routes in the order they are tried."""
    found = run_in_store(settings(), route_store.list_routes, "listing routes")
    if as_json:
        print(json.dumps([route_resource(rule) for rule in found]))
        return
    table = Table("priority", "name", "mode", "matches", "connectors")
    for rule in found:
        criteria = [
            f"{key}={value}"
            for key, value in (
                ("prefix", rule.prefix),
                ("country", rule.country),
                ("account", rule.account_id),
                ("sender", rule.sender_type),
            )
            if value is not None
        ]
        table.add_row(
            str(rule.priority),
            rule.name,
            rule.mode,
            " ".join(criteria) or "everything",
            " -> ".join(rule.connectors),
        )
    out.print(table)


@routes_app.command("remove")
def routes_remove(name: str) -> None:
    """Remove a route."""
    run_in_store(settings(), lambda c: route_store.remove_route(c, name), "removing a route")
    out.print(f"removed route {name}", highlight=False)


@config_app.command("apply")
def config_apply(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="The TOML file [default: SMSGATE_CONFIG, or smsgate.toml]"),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Also remove connectors and routes it does not declare")
    ] = False,
) -> None:
    """Create or update the file's [[connectors]] and [[routes]] in the store. Idempotent."""
    if file is None:
        file = Path(os.environ.get("SMSGATE_CONFIG") or "smsgate.toml")
    current = guarded(lambda: load_settings(os.environ, file))
    applied = run_in_store(
        current,
        lambda c: apply_declarations(c, current.connectors, current.routes, prune=prune),
        "applying the config file",
    )
    changes = 0
    for what, results in (("connector", applied.connectors), ("route", applied.routes)):
        for name, result in results.items():
            if result != "unchanged":
                changes += 1
            out.print(f"{what} {name}: {result}", highlight=False)
    out.print(f"{changes} change(s) from {file}", highlight=False)

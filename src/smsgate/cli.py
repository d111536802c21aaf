"""The `smsgate` command: parses arguments and calls into the package.

Any SmsgateError becomes one red line on stderr and exit status 2.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
import uvicorn
import uvloop
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smsgate.api.routes import route_resource
from smsgate.app import build_gateway, create_app
from smsgate.config import Settings, load_settings
from smsgate.delivery.switchboard import describe
from smsgate.domain.connectors import connector_from_mapping
from smsgate.domain.phone import parse_destination
from smsgate.domain.routing import route_from_mapping
from smsgate.errors import SmsgateError
from smsgate.sandbox import curl_example, ensure_sandbox
from smsgate.simulator.smsc import Simulator, serve_simulator
from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import numbers as number_store
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from smsgate.store.declarations import apply_declarations
from smsgate.store.signing_secrets import rotate_signing_secret, signing_secrets
from smsgate.webhooks.forwarder import Forwarded, Forwarder
from smsgate.webhooks.urls import check_webhook_url

T = TypeVar("T")
app = typer.Typer(help="smsgate: a self-hostable SMS gateway.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
numbers_app = typer.Typer(help="Add and list the numbers accounts send from.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook signing secrets.", no_args_is_help=True)
connectors_app = typer.Typer(
    help="Add, list and remove connectors (carrier binds).", no_args_is_help=True
)
routes_app = typer.Typer(help="Add, list and remove routes.", no_args_is_help=True)
config_app = typer.Typer(help="Apply the connectors and routes a config file declares.")
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
app.add_typer(numbers_app, name="numbers")
app.add_typer(db_app, name="db")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(connectors_app, name="connectors")
app.add_typer(routes_app, name="routes")
app.add_typer(config_app, name="config", no_args_is_help=True)

# soft_wrap: one message is one line, even when the output is not a terminal.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(2)


def guarded(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except SmsgateError as exc:
        fail(str(getattr(exc, "detail", None) or exc))


def settings() -> Settings:
    return guarded(lambda: load_settings(os.environ))


def database(current: Settings) -> Database:
    def open_and_migrate() -> Database:
        db = Database.from_url(current.database.url)
        db.migrate()
        return db

    return guarded(open_and_migrate)


def run_in_store(current: Settings, fn: Callable[[Any], T], what: str) -> T:
    db = database(current)
    try:
        return guarded(lambda: db.run_sync(fn, what=what))
    finally:
        db.dispose()


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: http.host]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: http.port]")] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Create the sandbox account and test key, print them")
    ] = False,
) -> None:
    """Start the gateway: HTTP API, dispatcher and connectors."""
    current = settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    host = host or current.http.host
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, current.http.port if port is None else port))
        listener.listen(2048)
    except OSError as exc:
        where = f"{host}:{port or current.http.port}"
        fail(f"cannot listen on {where}: {exc.strerror}. Pick another --port.")
    base_url = f"http://{host}:{listener.getsockname()[1]}"
    gateway = build_gateway(current)
    if sandbox:
        pepper = current.auth.pepper.get_secret_value()
        db_path = _sqlite_path(current.database.url)
        state = (db_path.parent if db_path else Path.cwd()) / ".smsgate" / "sandbox.json"
        credentials = guarded(lambda: _sandbox(gateway.database, state, pepper))
        out.print("\n[bold]smsgate sandbox[/] (test-mode key: messages go to the simulator)")
        out.print(f"  API key id:  {credentials.key_id}", highlight=False)
        out.print(f"  secret:      {credentials.secret}", highlight=False)
        out.print(f"  from number: {credentials.number}", highlight=False)
        out.print(f"  API docs:    {base_url}/docs\n", highlight=False)
        out.print("Send a message:", highlight=False)
        print(curl_example(base_url, credentials), flush=True)
        print(flush=True)
    print(f"smsgate listening on {base_url}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(gateway),
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="info",
            timeout_graceful_shutdown=10,
        )
    )
    # Everything built so far lives as long as the process: keep the cyclic collector off
    # it, and let it run less often, since a request leaves no cycles behind.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    server.run(sockets=[listener])


def _sandbox(db: Database, state: Path, pepper: str) -> Any:
    db.migrate()
    return ensure_sandbox(db, state, pepper=pepper)


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]).resolve() if url.startswith(prefix) and url != prefix else None


@app.command()
def send(
    to: Annotated[str, typer.Option(help="Destination, E.164 (+14155552671)")],
    body: Annotated[str, typer.Option(help="The text")],
    from_: Annotated[str, typer.Option("--from", help="A number of yours or a sender ID")],
    url: Annotated[
        str, typer.Option(envvar="SMSGATE_URL", help="Gateway URL")
    ] = "http://127.0.0.1:8080",
    key_id: Annotated[str, typer.Option(envvar="SMSGATE_KEY_ID", help="API key id (SK…)")] = "",
    secret: Annotated[str, typer.Option(envvar="SMSGATE_SECRET", help="API key secret")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the message as JSON")] = False,
) -> None:
    """Send one message through a running gateway."""
    if not key_id or not secret:
        fail("give --key-id and --secret (or set SMSGATE_KEY_ID and SMSGATE_SECRET).")
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/v1/messages",
            json={"to": to, "from": from_, "body": body},
            auth=(key_id, secret),
            timeout=30,
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach the gateway at {url}: {exc}. Is `smsgate serve` running?")
    try:
        payload = response.json()
    except ValueError:
        fail(f"the gateway answered {response.status_code} without JSON.")
    if response.status_code >= 400:
        fail(f"{payload.get('detail', payload)} (code {payload.get('code')})")
    if as_json:
        print(json.dumps(payload))
    else:
        out.print(
            f"{payload['id']} {payload['status']}: {payload['segments']} segment(s), "
            f"{payload['encoding']}, {payload['price']} {payload['price_unit']}",
            highlight=False,
        )


@accounts_app.command("create")
def accounts_create(
    name: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    operator: Annotated[
        bool, typer.Option("--operator", help="May manage connectors and routes over the API")
    ] = False,
) -> None:
    """Create an account."""
    account = run_in_store(
        settings(),
        lambda c: account_store.create_account(c, name, operator=operator),
        "creating an account",
    )
    if as_json:
        print(json.dumps({"account_id": account.id, "name": account.name}))
    else:
        role = " (operator)" if account.is_operator else ""
        out.print(f"created account {account.name} ({account.id}){role}", highlight=False)


@accounts_app.command("list")
def accounts_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List accounts."""
    found = run_in_store(settings(), account_store.list_accounts, "listing accounts")
    if as_json:
        print(json.dumps([{"account_id": a.id, "name": a.name} for a in found]))
        return
    table = Table("id", "name", "created")
    for account in found:
        table.add_row(account.id, account.name, account.created_at.isoformat(timespec="seconds"))
    out.print(table)


AccountOption = Annotated[str, typer.Option("--account", help="Account name or id")]


@keys_app.command("create")
def keys_create(
    account: AccountOption = "default",
    test: Annotated[
        bool, typer.Option("--test", help="Test mode: messages go to the simulator")
    ] = False,
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key; its secret is printed once."""
    current = settings()
    pepper = current.auth.pepper.get_secret_value()

    def create(connection: Any) -> tuple[Any, str]:
        owner = account_store.get_account(connection, account)
        return account_store.create_key(
            connection, owner.id, mode="test" if test else "live", name=name, pepper=pepper
        )

    key, secret = run_in_store(current, create, "creating a key")
    if as_json:
        print(json.dumps({"account_id": key.account_id, "key_id": key.id, "secret": secret}))
    else:
        out.print(
            f"key id:  {key.id} ({key.mode})\nsecret:  {secret}\n"
            "[dim]The secret is shown only now; store it safely.[/]",
            highlight=False,
        )


@keys_app.command("list")
def keys_list(
    account: Annotated[str | None, typer.Option("--account", help="Account name or id")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List API keys (never their secrets)."""

    def find(connection: Any) -> list[Any]:
        owner = account_store.get_account(connection, account).id if account else None
        return account_store.list_keys(connection, owner)

    found = run_in_store(settings(), find, "listing keys")
    rows = [
        {
            "key_id": k.id,
            "account_id": k.account_id,
            "mode": k.mode,
            "name": k.name,
            "revoked": k.revoked_at is not None,
        }
        for k in found
    ]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("key id", "account", "mode", "name", "revoked")
    for row in rows:
        table.add_row(
            row["key_id"],
            row["account_id"],
            row["mode"],
            row["name"],
            "yes" if row["revoked"] else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke an API key; it and its tokens stop working."""
    key = run_in_store(settings(), lambda c: account_store.revoke_key(c, key_id), "revoking a key")
    out.print(f"revoked {key.id}", highlight=False)


@numbers_app.command("add")
def numbers_add(
    e164: str,
    account: AccountOption = "default",
    inbound_url: Annotated[str | None, typer.Option(help="Where replies are POSTed")] = None,
) -> None:
    """Register a number an account sends from (and receives on)."""
    current = settings()
    number = guarded(lambda: parse_destination(e164, field="number")).e164
    if inbound_url is not None:
        guarded(
            lambda: check_webhook_url(
                inbound_url, allow_private=current.webhook.allow_private, field="inbound_url"
            )
        )

    def add(connection: Any) -> Any:
        owner = account_store.get_account(connection, account)
        return number_store.add_number(connection, owner.id, number, inbound_url=inbound_url)

    added = run_in_store(current, add, "adding a number")
    out.print(f"added {added.e164} to account {added.account_id} ({added.id})", highlight=False)


@numbers_app.command("list")
def numbers_list(
    account: Annotated[str | None, typer.Option("--account", help="Account name or id")] = None,
) -> None:
    """List numbers."""

    def find(connection: Any) -> list[Any]:
        owner = account_store.get_account(connection, account).id if account else None
        return number_store.list_numbers(connection, owner)

    table = Table("number", "account", "inbound url")
    for number in run_in_store(settings(), find, "listing numbers"):
        table.add_row(number.e164, number.account_id, number.inbound_url or "")
    out.print(table)


@app.command()
def listen(
    forward_to: Annotated[str, typer.Option("--forward-to", help="Local URL to POST events to")],
    url: Annotated[
        str, typer.Option(envvar="SMSGATE_URL", help="Gateway URL")
    ] = "http://127.0.0.1:8080",
    key_id: Annotated[str, typer.Option(envvar="SMSGATE_KEY_ID", help="API key id (SK…)")] = "",
    secret: Annotated[str, typer.Option(envvar="SMSGATE_SECRET", help="API key secret")] = "",
) -> None:
    """Forward your account's events, signed, to a local URL: webhooks without a tunnel."""
    if not key_id or not secret:
        fail("give --key-id and --secret (or set SMSGATE_KEY_ID and SMSGATE_SECRET).")
    if not forward_to.startswith(("http://", "https://")):
        fail(f"--forward-to {forward_to!r} is not an http:// or https:// URL.")
    with httpx.Client(base_url=url.rstrip("/"), auth=(key_id, secret), timeout=10) as api:
        try:
            account = api.get("/v1/account")
        except httpx.HTTPError as exc:
            fail(f"cannot reach the gateway at {url}: {exc}. Is `smsgate serve` running?")
        if account.status_code != 200:
            fail(f"the gateway refused the key: {account.json().get('detail', account.text)}")
        signing = account.json()["webhook_secret"]
        out.print(
            f"Forwarding events of {account.json()['name']} to {forward_to}, signed with the "
            "account's webhook secret (`smsgate webhooks secret`). Ctrl-C stops.",
            highlight=False,
        )

        def report(done: Forwarded) -> None:
            data = json.loads(done.event.data)["data"]
            answer = done.error or str(done.status_code)
            out.print(
                f"{done.event.event} {data['id']} {data['status']} -> {answer} "
                f"({done.latency_ms} ms)",
                highlight=False,
            )

        forwarder = Forwarder(
            api, forward_to, signing, report=report, notice=lambda text: err.print(text)
        )
        try:
            forwarder.run()
        except httpx.HTTPStatusError as exc:
            fail(f"the gateway refused the event stream: {exc.response.status_code}.")
        except KeyboardInterrupt:
            pass


@webhooks_app.command("secret")
def webhooks_secret(
    account: Annotated[str, typer.Option("--account", help="Account name or id")] = "default",
) -> None:
    """Print the secret that signs the account's webhooks (whsec_…)."""

    def read(connection: Any) -> list[str]:
        owner = account_store.get_account(connection, account)
        return signing_secrets(connection, owner.id, datetime.now(UTC))

    for secret in run_in_store(settings(), read, "reading the signing secret"):
        print(secret)


@webhooks_app.command("rotate")
def webhooks_rotate(
    account: Annotated[str, typer.Option("--account", help="Account name or id")] = "default",
) -> None:
    """Make a new signing secret; the old one keeps signing beside it for 24 hours."""

    def rotate(connection: Any) -> str:
        owner = account_store.get_account(connection, account)
        return rotate_signing_secret(connection, owner.id, datetime.now(UTC))

    secret = run_in_store(settings(), rotate, "rotating the signing secret")
    print(secret)
    err.print(
        "Webhooks are signed with both secrets for 24 hours; move your receivers to the new "
        "one within that time.",
        highlight=False,
    )


@app.command("simulator")
def simulator_command(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port)")] = 2775,
    system_id: Annotated[str, typer.Option(help="system_id binds must give")] = "smsgate",
    password: Annotated[str, typer.Option(help="password binds must give")] = "secret",
    receipt_delay: Annotated[float, typer.Option(help="Seconds until each receipt")] = 1.0,
) -> None:
    """Run the SMSC simulator on its own, to test any SMPP client against it."""
    if not 0 <= port <= 65535:
        fail(f"--port is {port}; give 0 to 65535.")
    if len(system_id) > 15 or len(password) > 8:
        fail("SMPP 3.4 allows a system_id of at most 15 and a password of at most 8 characters.")
    if receipt_delay < 0:
        fail(f"--receipt-delay is {receipt_delay}; give 0 or more seconds.")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    def ready(simulator: Simulator) -> None:
        print(
            f"SMSC simulator listening on {host}:{simulator.port} "
            f"(system_id {system_id!r}, password {password!r}); Ctrl-C stops it",
            flush=True,
        )

    try:
        uvloop.run(
            serve_simulator(
                host,
                port,
                credentials={system_id: password},
                receipt_delay=receipt_delay,
                on_ready=ready,
            )
        )
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}. Pick another --port.")
    except KeyboardInterrupt:
        pass


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest schema."""
    database(settings()).dispose()
    out.print("database is up to date")


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


def main() -> None:
    app(prog_name="smsgate")


if __name__ == "__main__":
    main()

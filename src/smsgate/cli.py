"""The `smsgate` command: parses arguments and calls into the package.

Any SmsgateError becomes one red line on stderr and exit status 2.
"""

from __future__ import annotations

import gc
import json
import logging
import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
import uvicorn
import uvloop
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import smsgate_client
from smsgate import bulk
from smsgate._cli_common import (
    AccountOption,
    database,
    err,
    fail,
    guarded,
    out,
    run_in_store,
    settings,
)
from smsgate._cli_numbers import numbers_app, opt_outs_app
from smsgate._cli_routing import config_app, connectors_app, routes_app
from smsgate.app import build_gateway, create_app, load_prices
from smsgate.domain.pricing import format_micros, parse_amount, to_micros
from smsgate.http_server import server_config
from smsgate.sandbox import curl_example, ensure_sandbox
from smsgate.simulator.smsc import Simulator, serve_simulator
from smsgate.store import accounts as account_store
from smsgate.store import balances as balance_store
from smsgate.store import usage as usage_store
from smsgate.store.database import Database
from smsgate.store.signing_secrets import rotate_signing_secret, signing_secrets
from smsgate.webhooks.forwarder import Forwarded, Forwarder

T = TypeVar("T")
app = typer.Typer(help="smsgate: a self-hostable SMS gateway.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
accounts_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook signing secrets.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
app.add_typer(numbers_app, name="numbers")
app.add_typer(opt_outs_app, name="opt-outs")
app.add_typer(db_app, name="db")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(connectors_app, name="connectors")
app.add_typer(routes_app, name="routes")
app.add_typer(config_app, name="config", no_args_is_help=True)


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
        server_config(
            create_app(gateway),
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
    from_: Annotated[str, typer.Option("--from", help="A number of yours or a sender ID")],
    to: Annotated[str | None, typer.Option(help="Destination, E.164 (+14155552671)")] = None,
    body: Annotated[str | None, typer.Option(help="The text")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Send to every row: a 'to' (or 'phone') column, and fields"),
    ] = None,
    body_template: Annotated[
        str | None, typer.Option(help="With --csv: the text, with {column} fields")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="With --csv: country of numbers written without +")
    ] = None,
    idempotency_prefix: Annotated[
        str | None,
        typer.Option(
            help="With --csv: keys PREFIX-<line>, so running it again sends nothing twice"
        ),
    ] = None,
    url: Annotated[
        str, typer.Option(envvar="SMSGATE_URL", help="Gateway URL")
    ] = "http://127.0.0.1:8080",
    key_id: Annotated[str, typer.Option(envvar="SMSGATE_KEY_ID", help="API key id (SK…)")] = "",
    secret: Annotated[str, typer.Option(envvar="SMSGATE_SECRET", help="API key secret")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON")] = False,
) -> None:
    """Send one message (--to, --body), or one per row of a CSV file (--csv, --body-template)."""
    if not key_id or not secret:
        fail("give --key-id and --secret (or set SMSGATE_KEY_ID and SMSGATE_SECRET).")
    if csv_file is None:
        if to is None or body is None:
            fail("give --to and --body, or --csv and --body-template.")
        if body_template is not None:
            fail("--body-template goes with --csv; for one message give --body.")
        with sdk_client(url, key_id, secret) as client:
            _send_one(client, url, to, body, from_, as_json)
        return
    if to is not None or body is not None:
        fail("--csv sends to the file's rows: leave out --to and --body, use --body-template.")
    if body_template is None:
        fail("--csv needs --body-template, e.g. --body-template 'Hi {name}, …'.")
    plan = guarded(lambda: bulk.read_plan(csv_file, body_template))
    with sdk_client(url, key_id, secret) as client:
        _send_bulk(client, url, plan, from_, region, idempotency_prefix, as_json)


def sdk_client(url: str, key_id: str, secret: str) -> smsgate_client.Client:
    return smsgate_client.Client(key_id, secret, base_url=url, environ={})


def _sdk_failure(exc: smsgate_client.SmsgateError, url: str) -> NoReturn:
    if isinstance(exc, smsgate_client.APIConnectionError):
        cause = exc.__cause__ or exc
        fail(f"cannot reach the gateway at {url}: {cause}. Is `smsgate serve` running?")
    fail(f"{exc.detail} (code {exc.code})" if exc.code else exc.detail)


def _send_one(
    client: smsgate_client.Client, url: str, to: str, body: str, from_: str, as_json: bool
) -> None:
    try:
        message = client.messages.send(to, body, from_=from_)
    except smsgate_client.SmsgateError as exc:
        _sdk_failure(exc, url)
    if as_json:
        print(json.dumps(dict(message.raw)))
    else:
        out.print(
            f"{message.id} {message.status}: {message.segments} segment(s), "
            f"{message.encoding}, {message.price} {message.price_unit}",
            highlight=False,
        )


def _send_bulk(
    client: smsgate_client.Client,
    url: str,
    plan: bulk.BulkPlan,
    from_: str,
    region: str | None,
    idempotency_prefix: str | None,
    as_json: bool,
) -> None:
    results: list[bulk.RowResult] = []
    progress = Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
        console=err,
    )
    with progress:
        task = progress.add_task("send", total=len(plan.recipients), counts="")

        def record(result: bulk.RowResult) -> None:
            results.append(result)
            counts = bulk.summary(results)
            progress.update(
                task,
                advance=1,
                counts=f"{counts['sent']} sent, {counts['skipped']} skipped, "
                f"{counts['failed']} failed",
            )

        try:
            bulk.send_all(
                client,
                plan,
                from_=from_,
                region=region,
                idempotency_prefix=idempotency_prefix,
                on_result=record,
            )
        except smsgate_client.SmsgateError as exc:
            progress.stop()
            _print_bulk_summary(results, as_json)
            _sdk_failure(exc, url)
    _print_bulk_summary(results, as_json)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def _print_bulk_summary(results: list[bulk.RowResult], as_json: bool) -> None:
    report = bulk.summary(results)
    if as_json:
        print(json.dumps(report))
        return
    problems = [r for r in results if r.status != "sent"]
    if problems:
        table = Table("line", "to", "outcome", "reason", title="Not sent")
        for r in problems:
            table.add_row(str(r.row), r.to, r.status, r.reason or "")
        out.print(table)
    totals = Table("sent", "skipped", "failed", "total", title="Summary")
    totals.add_row(*(str(report[k]) for k in ("sent", "skipped", "failed", "total")))
    out.print(totals)


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


@accounts_app.command("balance")
def accounts_balance(
    name: str,
    set_to: Annotated[str | None, typer.Option("--set", help="Set the balance to this")] = None,
    add: Annotated[
        str | None, typer.Option("--add", help="Top up by this (negative: take away)")
    ] = None,
    unlimited: Annotated[
        bool, typer.Option("--unlimited", help="No balance: send without limit")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show an account's balance, or set it, top it up or make the account unlimited."""
    if sum((set_to is not None, add is not None, unlimited)) > 1:
        fail("Give one of --set, --add and --unlimited, not several.")
    current = settings()
    currency = guarded(lambda: load_prices(current)).currency
    try:
        set_micros = None if set_to is None else parse_amount(set_to)
        add_micros = None if add is None else parse_amount(add)
    except ValueError as exc:
        fail(f"{exc}.")
    account, balance = run_in_store(
        current,
        lambda c: balance_store.change_balance(
            c, name, set_to=set_micros, add=add_micros, unlimited=unlimited
        ),
        "changing a balance",
    )
    shown = None if balance is None else format_micros(balance)
    if as_json:
        print(json.dumps({"account_id": account.id, "balance": shown, "currency": currency}))
    elif shown is None:
        out.print(f"{account.name} ({account.id}): unlimited", highlight=False)
    else:
        out.print(f"{account.name} ({account.id}): {shown} {currency}", highlight=False)


def _day(text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not a day; write it as YYYY-MM-DD.")


@app.command("usage")
def usage_command(
    account: Annotated[
        str | None, typer.Option("--account", help="Account name or id (default: all)")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Messages, price and connector cost by day, country and connector (default: this month)."""
    last = _day(end, datetime.now(UTC).date())
    first = _day(start, last.replace(day=1))
    if first > last:
        fail(f"--start {first} is after --end {last}; give start on or before end.")
    current = settings()
    prices = guarded(lambda: load_prices(current))

    def read(connection: Any) -> list[usage_store.UsageRow]:
        account_id = None
        if account is not None:
            account_id = account_store.get_account(connection, account).id
        return usage_store.usage(connection, account_id, first, last, by_connector=True)

    rows = run_in_store(current, read, "reading usage")
    report: list[dict[str, Any]] = []
    for row in rows:
        cost = (
            None if row.connector is None else prices.cost(row.connector, row.country, row.segments)
        )
        report.append(
            {
                "day": row.day,
                "country": row.country,
                "connector": row.connector,
                "messages": row.messages,
                "segments": row.segments,
                "price": format_micros(row.charge_micros),
                "cost": None if cost is None else format_micros(to_micros(cost)),
                "currency": prices.currency,
            }
        )
    if as_json:
        print(json.dumps(report))
        return
    table = Table("day", "country", "connector", "messages", "segments", "price", "cost")
    for line in report:
        table.add_row(
            line["day"],
            line["country"],
            line["connector"] or "-",
            str(line["messages"]),
            str(line["segments"]),
            f"{line['price']} {prices.currency}",
            "-" if line["cost"] is None else f"{line['cost']} {prices.currency}",
        )
    out.print(table)


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


def main() -> None:
    app(prog_name="smsgate")


if __name__ == "__main__":
    main()

"""`smsgate numbers …` and `smsgate opt-outs …`: an account's numbers and its opt-out list,
straight in the store (the same checks as the API)."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from smsgate._cli_common import AccountOption, fail, guarded, out, run_in_store, settings
from smsgate.domain.keywords import Keyword
from smsgate.domain.numbers import MAX_MPS, NumberType, parse_number
from smsgate.domain.phone import parse_destination
from smsgate.domain.times import iso_timestamp
from smsgate.errors import NotFoundError, ValidationError
from smsgate.store import accounts as account_store
from smsgate.store import numbers as number_store
from smsgate.store import opt_outs as opt_out_store
from smsgate.store.numbers import Number
from smsgate.webhooks.urls import check_webhook_url

numbers_app = typer.Typer(
    help="Add, list, change and remove the numbers accounts send from.", no_args_is_help=True
)
opt_outs_app = typer.Typer(
    help="List, add, remove, import and export opt-outs.", no_args_is_help=True
)

TypeOption = Annotated[
    NumberType | None, typer.Option("--type", help="Inferred from the number when not given")
]
InboundUrlOption = Annotated[str | None, typer.Option(help="Where replies are POSTed")]
StatusCallbackOption = Annotated[
    str | None, typer.Option(help="Status webhook for messages sent from it")
]
MpsOption = Annotated[
    int | None, typer.Option(help=f"Messages per second, 1 to {MAX_MPS} [default: the type's]")
]
MarketingOption = Annotated[
    bool | None, typer.Option("--marketing/--no-marketing", help="Sends marketing messages")
]
ReplyOption = Annotated[str | None, typer.Option(help="Reply text (default: a standard one)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _number_json(number: Number) -> dict[str, Any]:
    return {
        "id": number.id,
        "number": number.e164,
        "account_id": number.account_id,
        "type": number.type.value,
        "mps": number.effective_mps,
        "inbound_url": number.inbound_url,
        "status_callback": number.status_callback,
        "marketing": number.marketing,
        "keyword_replies": {k.value: number.reply(k) for k in Keyword},
    }


def _settings(
    *,
    mps: int | None,
    inbound_url: str | None,
    status_callback: str | None,
    marketing: bool | None,
    replies: dict[Keyword, str | None],
) -> dict[str, Any]:
    """The number settings given on the command line, checked."""
    allow_private = settings().webhook.allow_private
    for field, url in (("inbound_url", inbound_url), ("status_callback", status_callback)):
        if url is not None:
            try:
                check_webhook_url(url, allow_private=allow_private, field=field)
            except ValidationError as exc:
                fail(exc.detail)
    if mps is not None and not 1 <= mps <= MAX_MPS:
        fail(f"--mps is {mps}; give 1 to {MAX_MPS} messages per second.")
    given: dict[str, Any] = {
        "mps": mps,
        "inbound_url": inbound_url,
        "status_callback": status_callback,
        "marketing": marketing,
    }
    for keyword, text in replies.items():
        if text is not None and not text.strip():
            fail(f"--{keyword.value}-reply is empty; give the text to send back.")
        given[f"{keyword.value}_reply"] = text
    return {k: v for k, v in given.items() if v is not None}


def _owned(connection: Any, account: str, value: str) -> Number:
    owner = account_store.get_account(connection, account)
    found = number_store.find_number(connection, value)
    if found is None or found.account_id != owner.id:
        raise NotFoundError(f"{value} is not a number of account {account}.")
    return found


@numbers_app.command("add")
def numbers_add(
    number: Annotated[str, typer.Argument(help="E.164, a short code, or a sender ID")],
    account: AccountOption = "default",
    number_type: TypeOption = None,
    inbound_url: InboundUrlOption = None,
    status_callback: StatusCallbackOption = None,
    mps: MpsOption = None,
    marketing: MarketingOption = None,
    stop_reply: ReplyOption = None,
    start_reply: ReplyOption = None,
    help_reply: ReplyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a number an account sends from (and receives on)."""
    parsed = guarded(lambda: parse_number(number, number_type))
    given = _settings(
        mps=mps,
        inbound_url=inbound_url,
        status_callback=status_callback,
        marketing=marketing,
        replies={Keyword.STOP: stop_reply, Keyword.START: start_reply, Keyword.HELP: help_reply},
    )
    given["type"] = parsed.type
    url = given.pop("inbound_url", None)

    def add(connection: Any) -> Number:
        owner = account_store.get_account(connection, account)
        return number_store.add_number(connection, owner.id, parsed.value, inbound_url=url, **given)

    added = run_in_store(settings(), add, "adding a number")
    if as_json:
        print(json.dumps(_number_json(added)))
        return
    out.print(
        f"added {added.e164} ({added.type.value}, {added.effective_mps} msg/s) to account "
        f"{added.account_id} ({added.id})",
        highlight=False,
    )


@numbers_app.command("list")
def numbers_list(
    account: Annotated[str | None, typer.Option("--account", help="Account name or id")] = None,
    as_json: JsonOption = False,
) -> None:
    """List numbers."""

    def find(connection: Any) -> list[Number]:
        owner = account_store.get_account(connection, account).id if account else None
        return number_store.list_numbers(connection, owner)

    found = run_in_store(settings(), find, "listing numbers")
    if as_json:
        print(json.dumps([_number_json(n) for n in found]))
        return
    table = Table("number", "type", "msg/s", "account", "inbound url", "marketing")
    for number in found:
        table.add_row(
            number.e164,
            number.type.value,
            str(number.effective_mps),
            number.account_id,
            number.inbound_url or "",
            "yes" if number.marketing else "",
        )
    out.print(table)


@numbers_app.command("update")
def numbers_update(
    number: Annotated[str, typer.Argument(help="The number to change")],
    account: AccountOption = "default",
    number_type: TypeOption = None,
    inbound_url: InboundUrlOption = None,
    status_callback: StatusCallbackOption = None,
    mps: MpsOption = None,
    marketing: MarketingOption = None,
    stop_reply: ReplyOption = None,
    start_reply: ReplyOption = None,
    help_reply: ReplyOption = None,
    reset: Annotated[
        list[str] | None,
        typer.Option(
            help="Back to the default: mps, inbound_url, status_callback, stop_reply, "
            "start_reply or help_reply (repeatable)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a number's settings; what is not given stays as it is."""
    changes = _settings(
        mps=mps,
        inbound_url=inbound_url,
        status_callback=status_callback,
        marketing=marketing,
        replies={Keyword.STOP: stop_reply, Keyword.START: start_reply, Keyword.HELP: help_reply},
    )
    resettable = number_store.SETTABLE - {"type", "marketing"}
    for name in reset or []:
        if name not in resettable:
            fail(f"--reset {name!r}: give one of {', '.join(sorted(resettable))}.")
        changes[name] = None

    def update(connection: Any) -> Number:
        found = _owned(connection, account, number)
        if number_type is not None:
            changes["type"] = parse_number(found.e164, number_type).type
        return number_store.update_number(connection, found.account_id, found.id, changes)

    updated = run_in_store(settings(), update, "changing a number")
    if as_json:
        print(json.dumps(_number_json(updated)))
    else:
        out.print(f"updated {updated.e164} ({updated.id})", highlight=False)


@numbers_app.command("remove")
def numbers_remove(
    number: Annotated[str, typer.Argument(help="The number to release")],
    account: AccountOption = "default",
) -> None:
    """Release a number: the account can no longer send from it or receive on it."""

    def remove(connection: Any) -> Number:
        found = _owned(connection, account, number)
        return number_store.remove_number(connection, found.account_id, found.id)

    removed = run_in_store(settings(), remove, "removing a number")
    out.print(f"removed {removed.e164} ({removed.id})", highlight=False)


NumberScopeOption = Annotated[
    str | None, typer.Option("--number", help="One number of the account (default: all)")
]


@opt_outs_app.command("list")
def opt_outs_list(account: AccountOption = "default", as_json: JsonOption = False) -> None:
    """List the account's opt-outs."""

    def find(connection: Any) -> list[opt_out_store.OptOut]:
        owner = account_store.get_account(connection, account)
        return opt_out_store.list_opt_outs(connection, owner.id)[0]

    found = run_in_store(settings(), find, "listing opt-outs")
    rows = [
        {
            "phone": e.phone,
            "number": e.number,
            "source": e.source,
            "created_at": e.created_at.isoformat(),
        }
        for e in found
    ]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("phone", "number", "source", "since")
    for row in rows:
        table.add_row(row["phone"], row["number"] or "(all)", row["source"], row["created_at"])
    out.print(table)


def _opt_out_target(connection: Any, account: str, number: str | None) -> str:
    owner = account_store.get_account(connection, account)
    if number is not None:
        _owned(connection, account, number)
    return owner.id


@opt_outs_app.command("add")
def opt_outs_add(
    phone: Annotated[str, typer.Argument(help="The handset, E.164")],
    account: AccountOption = "default",
    number: NumberScopeOption = None,
) -> None:
    """Opt a handset out of the account (or of one of its numbers)."""
    e164 = guarded(lambda: parse_destination(phone, field="phone")).e164

    def add(connection: Any) -> bool:
        owner = _opt_out_target(connection, account, number)
        return opt_out_store.opt_out(
            connection, owner, e164, number, source="api", at=datetime.now(UTC)
        )[1]

    created = run_in_store(settings(), add, "adding an opt-out")
    out.print(f"{e164} {'opted out' if created else 'was already opted out'}", highlight=False)


@opt_outs_app.command("remove")
def opt_outs_remove(
    phone: Annotated[str, typer.Argument(help="The handset, E.164")],
    account: AccountOption = "default",
    number: NumberScopeOption = None,
) -> None:
    """Opt a handset back in."""

    def remove(connection: Any) -> None:
        owner = _opt_out_target(connection, account, number)
        if not opt_out_store.opt_in(
            connection, owner, phone, [number], source="api", at=datetime.now(UTC)
        ):
            raise NotFoundError(f"{phone} is not opted out of {number or 'the whole account'}.")

    run_in_store(settings(), remove, "removing an opt-out")
    out.print(f"{phone} opted back in", highlight=False)


@opt_outs_app.command("import")
def opt_outs_import(
    path: Annotated[Path, typer.Argument(help="CSV with a phone column (and number)")],
    account: AccountOption = "default",
) -> None:
    """Import opt-outs from a CSV file, as `export` writes it; bad rows are listed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}.")
    reader = csv.DictReader(io.StringIO(text))
    if "phone" not in (reader.fieldnames or []):
        fail(f"{path} has no 'phone' column; its first line must name them: phone,number.")
    rows = [
        ((r.get("phone") or "").strip(), (r.get("number") or "").strip() or None) for r in reader
    ]

    def run(connection: Any) -> tuple[int, int, list[str]]:
        owner = account_store.get_account(connection, account)
        imported = existing = 0
        problems = []
        for index, (phone, number) in enumerate(rows, 1):
            try:
                e164 = parse_destination(phone, field="phone").e164
                if number is not None:
                    _owned(connection, account, number)
            except (NotFoundError, ValidationError) as exc:
                problems.append(f"row {index}: {getattr(exc, 'detail', exc)}")
                continue
            created = opt_out_store.opt_out(
                connection, owner.id, e164, number, source="import", at=datetime.now(UTC)
            )[1]
            imported += created
            existing += not created
        return imported, existing, problems

    imported, existing, problems = run_in_store(settings(), run, "importing opt-outs")
    for problem in problems:
        out.print(problem, highlight=False)
    out.print(
        f"imported {imported}, {existing} already opted out, {len(problems)} rejected",
        highlight=False,
    )


@opt_outs_app.command("export")
def opt_outs_export(account: AccountOption = "default") -> None:
    """Print the account's opt-outs as CSV (phone,number,source,created_at)."""

    def find(connection: Any) -> list[opt_out_store.OptOut]:
        owner = account_store.get_account(connection, account)
        return opt_out_store.list_opt_outs(connection, owner.id)[0]

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(("phone", "number", "source", "created_at"))
    for entry in run_in_store(settings(), find, "exporting opt-outs"):
        created = iso_timestamp(entry.created_at)
        writer.writerow((entry.phone, entry.number or "", entry.source, created))

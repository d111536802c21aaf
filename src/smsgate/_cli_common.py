"""What every `smsgate` subcommand shares: printing, the one-line error and exit status 2,
and running a function in the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from smsgate.config import Settings, load_settings
from smsgate.errors import SmsgateError
from smsgate.store.database import Database

T = TypeVar("T")

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


AccountOption = Annotated[str, typer.Option("--account", help="Account name or id")]

"""The engine, migrations, and reads off the event loop."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any, TypeVar

import anyio.to_thread
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from smsgate.errors import ConfigError, StoreError

T = TypeVar("T")


@contextlib.contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn a driver or SQLAlchemy failure into our StoreError, chained."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(f"The database failed while {what}: {exc.__class__.__name__}.") from exc


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, say when transactions begin, so that
    # SAVEPOINT works and the writer can take the write lock up front (SQLAlchemy's
    # documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer. FULL syncs the log at every commit, so
    # a commit survives power loss, which is what a 201 promises (NORMAL syncs only at
    # checkpoints: a power cut could take back the last commits). Group commit pays the
    # sync once per batch.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_store_engine(url: str) -> Engine:
    """An engine for `url` (`sqlite:///path` or `postgresql://…`), tuned for our use."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"Setting 'database.url' (SMSGATE_DATABASE_URL) has value {url!r}, which cannot "
            f"be used: {exc}. Use sqlite:///path/to/file.db or postgresql://user@host/db."
        ) from exc
    if engine.dialect.name == "sqlite":
        require_sqlite_json()
        _bind_none_and_bool_directly()
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def require_sqlite_json(connect: Callable[[str], Any] = sqlite3.connect) -> None:
    """The store's IN lists read a JSON array (`json_each`): built into SQLite since 3.38,
    and into most builds before it. Without it, say so before anything is written."""
    probe = connect(":memory:")
    try:
        probe.execute("SELECT value FROM json_each('[1]')").fetchall()
    except sqlite3.OperationalError as exc:
        raise ConfigError(
            f"This Python's SQLite ({sqlite3.sqlite_version}) has no JSON functions ({exc}), "
            "which smsgate's store needs. Use a Python built with SQLite 3.38 or newer, or "
            "set SMSGATE_DATABASE_URL to a PostgreSQL database."
        ) from exc
    finally:
        probe.close()


def _bind_none_and_bool_directly() -> None:
    # The sqlite3 module binds str, int, float and bytearray as they are, and anything
    # else, None and bool included, after a search for an adapter whose miss raises and
    # discards an AttributeError: about 2,000 instructions a parameter (callgrind), a few
    # dozen parameters a message. An adapter registered for them is found first, and binds
    # the same values: None as NULL, a bool as the integer it already was.
    sqlite3.register_adapter(type(None), _as_is)
    sqlite3.register_adapter(bool, int)


def _as_is(value: Any) -> Any:
    return value


# The writer's page cache on SQLite, KiB (the default is 2 MiB). Its transactions touch the
# right edges of every index and the rows being moved on; with the database past a few
# hundred MB those pages would otherwise be read back from the OS at every batch.
WRITER_CACHE_KIB = 65_536


def connect_writer(engine: Engine) -> Connection:
    """The one writing connection: it takes the write lock at BEGIN and, on SQLite, keeps
    a page cache of WRITER_CACHE_KIB (readers keep the default)."""
    connection = engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE")
    # Its own, not the pool's: closed for good afterwards, its settings reach no reader.
    connection.detach()
    if engine.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        connection.commit()  # SQLAlchemy began a transaction for it
    return connection


def _begin_sqlite(connection: Connection) -> None:
    # Writers ask for the lock at BEGIN (IMMEDIATE): a deferred transaction that later
    # needs to write can fail at once with SQLITE_BUSY instead of waiting its turn.
    mode = connection.get_execution_options().get("sqlite_begin", "BEGIN")
    connection.exec_driver_sql(mode)


class Database:
    """Owns the engine. Writes go through `GroupCommitWriter`; reads come here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_store_engine(url))

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic `upgrade head`)."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(files("smsgate.store") / "migrations"))
        with translate_errors("migrating the schema"), self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def run_sync(self, fn: Callable[[Connection], T], *, what: str = "reading") -> T:
        """Run `fn` in one transaction on this thread (CLI and start-up only)."""
        with translate_errors(what), self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with connection.begin():
                return fn(connection)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` on a pooled connection in a worker thread, off the event loop."""
        return await anyio.to_thread.run_sync(self._read, fn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with translate_errors("reading"), self.engine.connect() as connection:
            return fn(connection)

    def dispose(self) -> None:
        self.engine.dispose()

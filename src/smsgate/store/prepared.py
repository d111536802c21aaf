"""The writer's hot statements, run on the driver's cursor.

SQLAlchemy's execution layer costs tens of microseconds a statement and a few a row (it
looks the statement up in its cache, builds an execution context, processes every
parameter set and wraps the cursor): measured here, an IN query the driver runs in 9 µs
took 45 µs through `Connection.execute`. The writer runs some thirty statements and
hundreds of rows a batch, and this took its CPU per message down by 40%. A
`Prepared` keeps the statement a Core construct, one definition for SQLite and
PostgreSQL, lets SQLAlchemy compile it once per dialect, and then runs the compiled SQL
on the cursor of the connection's own transaction, converting parameters and results
with the processors of the statement's own types, as SQLAlchemy would.

What it does not do: expanding bind parameters (use `any_of` for IN lists: one SQL text
whatever the list's length, so the driver's statement cache keeps it prepared),
Python-side column defaults (the schema has none), and RETURNING (only a SELECT's rows
are read).
"""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import ARRAY, Connection, String, Text, TypeDecorator, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnClause
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, TypeEngine

_Processor = Callable[[Any], Any] | None


class Prepared:
    """`statement`, compiled once per dialect and run on the DBAPI cursor.

    Parameters are given by bind name: the name of a `bindparam`, or for an INSERT a
    column's key. As with `Connection.execute`, an INSERT sets the columns its first
    parameter set names (the rest take their server defaults), and every later set must
    name them too. A literal in the statement keeps its own value.
    """

    __slots__ = ("_compiled_for", "_is_insert", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._is_insert = bool(getattr(statement, "is_insert", False))
        self._compiled_for: dict[tuple[str, tuple[str, ...] | None], _Compiled] = {}

    def rows(
        self, connection: Connection, parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Execute once and return every row, a named tuple of the selected columns' keys
        (`row.id`, as SQLAlchemy's rows)."""
        parameters = parameters or {}
        compiled = self._compiled(connection.dialect, parameters)
        with _cursor(connection, compiled.sql, parameters) as cursor:
            cursor.execute(compiled.sql, compiled.bind(parameters))
            fetched = list(cursor.fetchall()) if cursor.description is not None else []
        return compiled.read(fetched)

    def execute(self, connection: Connection, parameters: Mapping[str, Any] | None = None) -> int:
        """Execute once; the number of rows it changed."""
        return self.executemany(connection, [parameters or {}])

    def executemany(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Execute once per parameter set, in one call to the driver; rows changed in all."""
        if not rows:
            return 0
        compiled = self._compiled(connection.dialect, rows[0])
        bind = compiled.bind
        with _cursor(connection, compiled.sql, rows) as cursor:
            if len(rows) == 1:
                cursor.execute(compiled.sql, bind(rows[0]))
            else:
                cursor.executemany(compiled.sql, [bind(row) for row in rows])
            return int(cursor.rowcount)

    def _compiled(self, dialect: Dialect, first: Mapping[str, Any]) -> _Compiled:
        keys = tuple(first) if self._is_insert else None
        compiled = self._compiled_for.get((dialect.name, keys))
        if compiled is None:
            compiled = _Compiled(self.statement, keys, dialect)
            self._compiled_for[dialect.name, keys] = compiled
        return compiled


class _Compiled:
    """One statement compiled for one dialect, with its parameter and result converters."""

    __slots__ = ("bind", "read", "sql")

    def __init__(
        self, statement: ClauseElement, keys: tuple[str, ...] | None, dialect: Dialect
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError(
                "Prepared cannot run expanding or literal-execute parameters; use any_of()."
            )
        self.sql = compiled.string
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        # Positional drivers take a name once for each place it stands in the SQL.
        names = compiled.positiontup if compiled.positiontup is not None else list(by_name)
        binds: list[tuple[str, _Processor, Any]] = []
        for name in names:
            bind = by_name[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, processor, _MISSING if bind.required else bind.effective_value))
        self.bind = _binder(binds, positional=compiled.positiontup is not None)
        selected = list(getattr(statement, "selected_columns", ()))  # a SELECT's columns
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        ]
        row = namedtuple("Row", [column.key for column in selected])  # type: ignore[misc]
        self.read: Callable[[list[Any]], list[Any]] = _reader(processors, row._make)


_MISSING = object()


def _binder(
    binds: list[tuple[str, _Processor, Any]], *, positional: bool
) -> Callable[[Mapping[str, Any]], Any]:
    """A function from one parameter set to what the driver takes: values in the SQL's
    order (positional drivers) or by name, each converted by its type's processor."""
    names = [name for name, _, _ in binds]
    defaults = {name: default for name, _, default in binds if default is not _MISSING}
    processed = [(index, p) for index, (_, p, _) in enumerate(binds) if p is not None]
    take = itemgetter(*names) if names else (lambda row: ())
    single = len(names) == 1

    def values(row: Mapping[str, Any]) -> list[Any]:
        if defaults:
            row = {**defaults, **row}
        try:
            got = take(row)
        except KeyError as exc:
            raise KeyError(f"no value for the bind parameter {exc.args[0]!r}") from None
        out = [got] if single else list(got)
        for index, processor in processed:
            value = out[index]
            if value is not None:
                out[index] = processor(value)
        return out

    if positional:
        return values
    return lambda row: dict(zip(names, values(row), strict=True))


def _reader(
    processors: list[_Processor], make: Callable[[Any], Any]
) -> Callable[[list[Any]], list[Any]]:
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not active:
        return lambda fetched: [make(row) for row in fetched]

    def read(fetched: list[Any]) -> list[Any]:
        out = []
        for row in fetched:
            values = list(row)
            for index, processor in active:
                values[index] = processor(values[index])
            out.append(make(values))
        return out

    return read


@contextlib.contextmanager
def _cursor(connection: Connection, sql: str, parameters: Any) -> Iterator[Any]:
    """A cursor of the connection's own transaction, closed afterwards. Driver errors
    become SQLAlchemy's, as `Connection.execute` raises them; a lost connection says so
    (`connection_invalidated`), the rollback that follows discards it, and the next
    transaction opens a new one."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        yield cursor
    except connection.dialect.loaded_dbapi.Error as exc:
        dialect = connection.dialect
        raise DBAPIError.instance(
            sql,
            parameters,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=dialect.is_disconnect(exc, dbapi_connection, None),
            dialect=dialect,
        ) from exc
    finally:
        cursor.close()


class _IdList(TypeDecorator[Sequence[str]]):
    """A list of strings as one parameter: JSON text on SQLite (read by json_each), an
    array on PostgreSQL."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Sequence[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return (
            list(value)
            if dialect.name == "postgresql"
            else msgspec.json.encode(list(value)).decode()
        )


class _AnyOf(ColumnElement[bool]):
    inherit_cache = True
    # Both parts belong to the cache key, so that SQLAlchemy's own statement cache can tell
    # one any_of from another when a statement holding it runs through Connection.execute.
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()
    _is_implicitly_boolean = True  # a condition already: no "= 1" after it on SQLite

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column = column
        self.values = values


def any_of(column: ColumnElement[Any] | ColumnClause[Any], name: str) -> ColumnElement[bool]:
    """`column IN (the strings given as parameter `name`)`, with one SQL text whatever the
    number of strings: `IN (SELECT value FROM json_each(?))` on SQLite, `= ANY(%s)` on
    PostgreSQL. An empty list matches nothing."""
    return _AnyOf(column, bindparam(name, type_=_IdList()))


@compiles(_AnyOf, "sqlite")
def _any_of_sqlite(element: _AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(_AnyOf)
def _any_of_default(element: _AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.values, **kw)})"
    )

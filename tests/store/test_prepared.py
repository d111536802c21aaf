"""Prepared statements give what `Connection.execute` gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from smsgate.errors import ConfigError, StoreError
from smsgate.store import accounts as account_store
from smsgate.store.database import Database, require_sqlite_json
from smsgate.store.messages import CreateMessage
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.schema import accounts, messages
from tests.conftest import new_record

_MESSAGE = Prepared(
    select(
        messages.c.id,
        messages.c.is_test,
        messages.c.segments,
        messages.c.expires_at,
        messages.c.lease_until,
        messages.c.status_callback,
    ).where(messages.c.id == bindparam("id"))
)
_NAMES = Prepared(select(accounts.c.name).where(any_of(accounts.c.name, "names")))
_OTHER_NAMES = Prepared(select(accounts.c.name).where(~any_of(accounts.c.name, "names")))


def _stored_message(database: Database) -> str:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    record = new_record(account.id)
    database.run_sync(CreateMessage(record, next_attempt_at=datetime.now(UTC)).run)
    return record.id


def test_rows_come_back_as_connection_execute_gives_them(database: Database) -> None:
    message_id = _stored_message(database)
    east = timezone(timedelta(hours=3))
    lease = datetime(2026, 12, 2, 15, 4, 5, 123456, tzinfo=east)
    lean_update = Prepared(
        update(messages)
        .where(messages.c.id == bindparam("b_id"))
        .values(lease_until=bindparam("lease"), is_test=True)
    )
    assert database.run_sync(lambda c: lean_update.execute(c, {"b_id": message_id, "lease": lease}))

    [row] = database.run_sync(lambda c: _MESSAGE.rows(c, {"id": message_id}))
    expected = database.run_sync(lambda c: c.execute(_MESSAGE.statement, {"id": message_id}).one())
    assert tuple(row) == tuple(expected)
    assert row.id == message_id
    assert row.is_test is True
    assert row.lease_until == lease
    assert row.lease_until.tzinfo is UTC
    assert row.status_callback is None


def test_a_literal_in_the_statement_keeps_its_value(database: Database) -> None:
    message_id = _stored_message(database)
    fail = Prepared(
        update(messages).where(messages.c.id == bindparam("b_id")).values(status="failed")
    )
    database.run_sync(lambda c: fail.executemany(c, [{"b_id": message_id}]))
    status = database.run_sync(
        lambda c: c.execute(select(messages.c.status).where(messages.c.id == message_id)).scalar()
    )
    assert status == "failed"


def test_executemany_counts_the_rows_it_changed(database: Database) -> None:
    names = ["a", "b", "c"]
    for name in names:
        database.run_sync(lambda c, name=name: account_store.create_account(c, name))
    rename = Prepared(
        update(accounts).where(accounts.c.name == bindparam("old")).values(name=bindparam("new"))
    )
    changed = database.run_sync(
        lambda c: rename.executemany(
            c, [{"old": "a", "new": "x"}, {"old": "b", "new": "y"}, {"old": "zz", "new": "q"}]
        )
    )
    assert changed == 2
    assert sorted(
        r.name for r in database.run_sync(lambda c: _NAMES.rows(c, {"names": ["x", "y", "c"]}))
    ) == [
        "c",
        "x",
        "y",
    ]


def test_a_statement_with_any_of_runs_through_connection_execute_too(database: Database) -> None:
    """SQLAlchemy caches compiled statements by a key; any_of keeps its column in it."""
    database.run_sync(lambda c: account_store.create_account(c, "acme"))
    by_name = select(accounts.c.name).where(any_of(accounts.c.name, "wanted"))
    by_id = select(accounts.c.name).where(any_of(accounts.c.id, "wanted"))
    wanted = {"wanted": ["acme"]}
    assert database.run_sync(lambda c: c.execute(by_name, wanted).scalars().all()) == ["acme"]
    assert database.run_sync(lambda c: c.execute(by_id, wanted).scalars().all()) == []


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back(database: Database) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    record = new_record(account.id)
    database.run_sync(CreateMessage(record, next_attempt_at=datetime.now(UTC)).run)
    with pytest.raises(StoreError) as raised:  # the same id again
        database.run_sync(CreateMessage(record, next_attempt_at=datetime.now(UTC)).run)
    assert isinstance(raised.value.__cause__, IntegrityError)
    count = database.run_sync(lambda c: len(c.execute(select(messages.c.id)).all()))
    assert count == 1


def test_a_missing_parameter_is_named(database: Database) -> None:
    with pytest.raises(KeyError, match="'id'"):
        database.run_sync(lambda c: _MESSAGE.rows(c, {}))


def test_an_expanding_parameter_is_refused(database: Database) -> None:
    expanding = Prepared(select(accounts.c.id).where(accounts.c.name.in_(["a", "b"])))
    with pytest.raises(ValueError, match="any_of"):
        database.run_sync(lambda c: expanding.rows(c))


def test_any_of_an_empty_list_matches_nothing_and_its_negation_everything(
    database: Database,
) -> None:
    database.run_sync(lambda c: account_store.create_account(c, "acme"))
    assert database.run_sync(lambda c: _NAMES.rows(c, {"names": []})) == []
    assert [r.name for r in database.run_sync(lambda c: _OTHER_NAMES.rows(c, {"names": []}))] == [
        "acme"
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wanted=st.lists(
        st.text(
            st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12
        ),
        max_size=40,
    )
)
def test_any_of_matches_exactly_the_strings_given(database: Database, wanted: list[str]) -> None:
    stored = {"acme", "o'brien", 'quote"d', "ünïcode", "[1,2]", "a\\b"}

    def ensure(connection: object) -> None:
        have = {r.name for r in _NAMES.rows(connection, {"names": sorted(stored)})}  # type: ignore[arg-type]
        for name in stored - have:
            account_store.create_account(connection, name)  # type: ignore[arg-type]

    database.run_sync(ensure)
    found = database.run_sync(lambda c: _NAMES.rows(c, {"names": [*wanted, "acme"]}))
    assert {r.name for r in found} == (set(wanted) | {"acme"}) & stored
    others = database.run_sync(lambda c: _OTHER_NAMES.rows(c, {"names": wanted}))
    assert {r.name for r in others} == stored - set(wanted)


def test_a_lost_postgresql_connection_is_replaced_for_the_next_transaction(
    postgres_url: str,
) -> None:
    """The writer keeps one connection for good: a server restart must not break it forever."""
    import psycopg

    store = Database.from_url(postgres_url)
    store.migrate()
    try:
        with store.engine.connect() as connection:
            with connection.begin():
                backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
            with pytest.raises(DBAPIError) as raised, connection.begin():
                _NAMES.rows(connection, {"names": ["acme"]})
            assert raised.value.connection_invalidated
            with connection.begin():
                assert _NAMES.rows(connection, {"names": ["acme"]}) == []
    finally:
        store.dispose()


def test_a_sqlite_without_json_functions_is_refused_with_what_to_do() -> None:
    class NoJson:
        def execute(self, sql: str) -> None:
            raise sqlite3.OperationalError("no such table: json_each")

        def close(self) -> None:
            pass

    with pytest.raises(ConfigError, match=r"SQLite 3\.38 or newer.*PostgreSQL"):
        require_sqlite_json(lambda path: NoJson())
    require_sqlite_json()  # this Python's own has them


def test_sqlite_stores_none_as_null_and_a_bool_as_an_integer(tmp_path: Path) -> None:
    # The store registers adapters for both (they bind faster); what is stored must not
    # change: NULL, and 1 or 0 of SQLite's INTEGER type.
    Database.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (a, b, c)")
    connection.execute("INSERT INTO t VALUES (?, ?, ?)", (None, True, False))
    assert connection.execute("SELECT typeof(a), typeof(b), b, c FROM t").fetchone() == (
        "null",
        "integer",
        1,
        0,
    )
    assert connection.execute("SELECT count(*) FROM t WHERE a IS NULL AND b = 1").fetchone() == (1,)

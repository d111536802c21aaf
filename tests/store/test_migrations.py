"""The Alembic migrations build exactly the schema `smsgate.store.schema` describes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from smsgate.domain.ids import AccountId
from smsgate.errors import StoreError
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.schema import metadata


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh, empty store (SQLite file in tmp_path, or PostgreSQL), not yet migrated."""
    db = Database.from_url(database_url)
    yield db
    db.dispose()


def head_revision() -> str | None:
    """The newest revision among the migration scripts shipped in the package."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(files("smsgate.store") / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


def schema(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        table: (
            inspector.get_pk_constraint(table),
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            sorted(u["name"] or "" for u in inspector.get_unique_constraints(table)),
            sorted(f["name"] or "" for f in inspector.get_foreign_keys(table)),
        )
        for table in inspector.get_table_names()
    }


def test_migrated_database_matches_the_schema_module(database: Database) -> None:
    database.migrate()
    with database.engine.connect() as connection:
        assert differences(connection) == []
        tables = set(inspect(connection).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_fresh_database_differs_so_the_comparison_can_fail(database: Database) -> None:
    with database.engine.connect() as connection:
        added = {diff[1].name for diff in differences(connection) if diff[0] == "add_table"}
    assert added == set(metadata.tables)


def test_migrated_foreign_keys_are_enforced(database: Database) -> None:
    database.migrate()
    with pytest.raises(StoreError, match="IntegrityError"):
        database.run_sync(
            lambda c: account_store.create_key(
                c, AccountId("ACmissing"), mode="test", name="", pepper=""
            )
        )
    assert database.run_sync(account_store.list_keys) == []


def test_migrating_twice_is_a_no_op(database: Database) -> None:
    database.migrate()
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    with database.engine.connect() as connection:
        before = schema(connection)

    database.migrate()

    with database.engine.connect() as connection:
        assert schema(connection) == before
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [tuple(v) for v in versions] == [(head_revision(),)]
        assert differences(connection) == []
    found = database.run_sync(lambda c: account_store.find_account(c, "acme"))
    assert found == account
    assert found.created_at <= datetime.now(UTC)

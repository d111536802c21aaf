"""Group commit: many writes, one transaction, and a failing write hurts only itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from smsgate.errors import ConflictError, StoreError
from smsgate.store import accounts as account_store
from smsgate.store.database import WRITER_CACHE_KIB, Database
from smsgate.store.schema import accounts
from smsgate.store.writer import Call, GroupCommitWriter, commit_batch


def count_accounts(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(accounts)).scalar_one())


def write_then_fail(connection: Connection) -> None:
    account_store.create_account(connection, "half-written")
    connection.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")


def test_concurrent_writes_share_transactions_and_all_commit(database: Database) -> None:

    async def scenario() -> None:
        writer = GroupCommitWriter(database.engine, max_batch=50)
        writer.start()
        try:
            await asyncio.gather(
                *(writer.submit(Call(account_store.create_account, f"a{i}")) for i in range(200))
            )
            assert writer.jobs == 200
            assert writer.batches < 200  # some transactions carried several writes
        finally:
            await writer.aclose()

    asyncio.run(scenario())
    assert database.run_sync(count_accounts) == 200


def test_a_failing_job_fails_alone(database: Database) -> None:
    database.run_sync(lambda c: account_store.create_account(c, "taken"))

    async def scenario() -> list[object]:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        try:
            return await asyncio.gather(
                writer.submit(Call(account_store.create_account, "before")),
                writer.submit(Call(account_store.create_account, "taken")),
                writer.submit(Call(write_then_fail)),
                writer.submit(Call(account_store.create_account, "after")),
                return_exceptions=True,
            )
        finally:
            await writer.aclose()

    before, duplicate, failed, after = asyncio.run(scenario())
    assert isinstance(duplicate, ConflictError)
    assert isinstance(failed, StoreError)
    assert not isinstance(before, BaseException)
    assert not isinstance(after, BaseException)
    names = {a.name for a in database.run_sync(account_store.list_accounts)}
    assert names == {"taken", "before", "after"}


def write_then_refuse(connection: Connection) -> None:
    account_store.create_account(connection, "half-written")
    raise ConflictError("refused after a write")


@pytest.mark.parametrize("neighbours", [0, 1], ids=["alone", "beside another"])
def test_a_job_that_refuses_after_writing_leaves_nothing_written(
    database: Database, neighbours: int
) -> None:
    """An error the job raises itself rolls back what it wrote, whether it ran in a
    savepoint beside other jobs or alone in the batch's transaction."""
    with database.engine.connect() as connection:
        jobs = [Call(write_then_refuse), *[Call(count_accounts)] * neighbours]
        outcome = commit_batch(connection, jobs)[0]
    assert isinstance(outcome, ConflictError)
    assert database.run_sync(count_accounts) == 0


def test_submit_before_start_is_a_programming_error(database_url: str) -> None:
    database = Database.from_url(database_url)
    writer = GroupCommitWriter(database.engine)
    with pytest.raises(RuntimeError, match="start"):
        asyncio.run(writer.submit(Call(count_accounts)))


def page_cache_size(connection: Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())


def sync_mode(connection: Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())


def in_the_writer(database: Database, read: Callable[[Connection], int]) -> int:
    """`read` run on the writer's own connection."""

    async def scenario() -> int:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        try:
            return await writer.submit(Call(read))
        finally:
            await writer.aclose()

    return asyncio.run(scenario())


def test_the_writer_keeps_a_larger_page_cache_on_sqlite(tmp_path: Path) -> None:
    sqlite_database = Database.from_url(f"sqlite:///{tmp_path / 'cache.db'}")
    assert in_the_writer(sqlite_database, page_cache_size) == -WRITER_CACHE_KIB
    # Readers keep the default, also once the writer's connection is closed.
    assert sqlite_database.run_sync(page_cache_size) != -WRITER_CACHE_KIB


def test_a_commit_on_sqlite_is_synced_to_disk(tmp_path: Path) -> None:
    # synchronous=FULL (2): in WAL mode, NORMAL (1) would sync only at checkpoints, and a
    # power cut could take back a message the API had answered 201 for.
    sqlite_database = Database.from_url(f"sqlite:///{tmp_path / 'sync.db'}")
    assert in_the_writer(sqlite_database, sync_mode) == 2
    assert sqlite_database.run_sync(sync_mode) == 2


class Named:
    """A batchable job: creates an account, and notes each batch it ran in."""

    batches: list[list[str]] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, connection: Connection) -> str:
        return self.run_batch(connection, [self])[0]

    @classmethod
    def run_batch(cls, connection: Connection, jobs: list[Named]) -> list[str]:
        cls.batches.append([job.name for job in jobs])
        for job in jobs:
            account_store.create_account(connection, job.name)
        return [f"created {job.name}" for job in jobs]


class OtherNamed(Named):
    batches: list[list[str]] = []


def test_jobs_of_one_type_run_as_one_batch_wherever_they_stand(database: Database) -> None:
    jobs = [Named("a1"), OtherNamed("b1"), Named("a2"), Call(count_accounts), Named("a3")]
    Named.batches.clear()
    OtherNamed.batches.clear()
    with database.engine.connect() as connection:
        outcomes = commit_batch(connection, jobs)
    assert Named.batches == [["a1", "a2", "a3"]]
    assert OtherNamed.batches == [["b1"]]
    # Outcomes come back in the jobs' own order; the Call ran after the first type's run.
    assert outcomes == ["created a1", "created b1", "created a2", 4, "created a3"]

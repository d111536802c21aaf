"""The writer's transactions in a child process: same outcomes as in a thread, errors
intact, a job that cannot cross fails alone, and a dead child is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from smsgate.errors import ConflictError, DeliveryError, ErrorCode, StoreError
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.handoff import hand_off
from smsgate.store.writer import Call, GroupCommitWriter
from smsgate.store.writer_process import ProcessCommitter


def create_account(connection: Connection, name: str) -> str:
    return account_store.create_account(connection, name).id


def refuse_delivery(_connection: Connection, carrier_code: int) -> None:
    raise DeliveryError(
        "The carrier refused it.",
        retryable=False,
        code=ErrorCode.UNKNOWN_ERROR,
        carrier_code=carrier_code,
        carrier_text="rejected",
    )


def writer_pid(_connection: Connection) -> int:
    return os.getpid()


@asynccontextmanager
async def process_writer(url: str, **kwargs: Any) -> AsyncIterator[GroupCommitWriter]:
    writer = GroupCommitWriter(
        Database.from_url(url).engine, committer=ProcessCommitter(url), **kwargs
    )
    writer.start()
    try:
        yield writer
    finally:
        await writer.aclose()


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def test_writes_commit_in_another_process_and_are_read_here(
    database: Database, database_url: str
) -> None:
    commits = 0

    def counted() -> None:
        nonlocal commits
        commits += 1

    async def scenario() -> tuple[list[str], int]:
        async with process_writer(database_url, max_batch=50, on_commit=counted) as writer:
            ids = await asyncio.gather(
                *(writer.submit(Call(create_account, f"a{i}")) for i in range(200))
            )
            pid = await writer.submit(Call(writer_pid))
            assert writer.batches < 201  # transactions carried several writes
            return list(ids), pid

    ids, pid = run(scenario)
    assert pid != os.getpid()
    assert commits >= 1
    assert {a.id for a in database.run_sync(account_store.list_accounts)} == set(ids)


def test_errors_cross_with_their_class_and_attributes(
    database: Database, database_url: str
) -> None:
    database.run_sync(lambda c: account_store.create_account(c, "taken"))

    async def scenario() -> list[Any]:
        async with process_writer(database_url) as writer:
            return await asyncio.gather(
                writer.submit(Call(create_account, "taken")),
                writer.submit(Call(refuse_delivery, 88)),
                writer.submit(Call(create_account, "fresh")),
                return_exceptions=True,
            )

    duplicate, refused, fresh = run(scenario)
    assert isinstance(duplicate, ConflictError)
    assert isinstance(refused, DeliveryError)
    assert refused.retryable is False
    assert (refused.carrier_code, refused.carrier_text) == (88, "rejected")
    assert str(refused) == "The carrier refused it."
    assert isinstance(fresh, str)


def test_a_job_that_cannot_be_pickled_fails_alone(database: Database, database_url: str) -> None:
    async def scenario() -> list[Any]:
        async with process_writer(database_url) as writer:
            return await asyncio.gather(
                writer.submit(Call(create_account, "before")),
                writer.submit(Call(lambda c: create_account(c, "lambda"))),
                writer.submit(Call(create_account, "after")),
                return_exceptions=True,
            )

    before, unpicklable, after = run(scenario)
    assert isinstance(unpicklable, TypeError)
    assert "picklable" in str(unpicklable)
    assert isinstance(before, str)
    assert isinstance(after, str)
    names = {a.name for a in database.run_sync(account_store.list_accounts)}
    assert names == {"before", "after"}


def test_a_dead_writer_process_is_replaced(database: Database, database_url: str) -> None:
    async def scenario() -> tuple[int, Any, int]:
        async with process_writer(database_url) as writer:
            first = await writer.submit(Call(writer_pid))
            os.kill(first, signal.SIGKILL)
            # The batch in hand when it died (if any) fails; the next one gets a new child.
            try:
                await writer.submit(Call(create_account, "maybe"))
                lost: Any = None
            except StoreError as exc:
                lost = exc
            second = await writer.submit(Call(writer_pid))
            await writer.submit(Call(create_account, "after"))
            return first, lost, second

    first, lost, second = run(scenario)
    assert second != first
    assert lost is None or "stopped" in str(lost)
    assert "after" in {a.name for a in database.run_sync(account_store.list_accounts)}


def test_ctrl_c_leaves_the_writer_process_to_finish(database: Database, database_url: str) -> None:
    async def scenario() -> str:
        async with process_writer(database_url) as writer:
            child = await writer.submit(Call(writer_pid))
            os.kill(child, signal.SIGINT)  # what Ctrl-C sends the whole process group
            return await writer.submit(Call(create_account, "after ctrl-c"))

    assert run(scenario)
    assert "after ctrl-c" in {a.name for a in database.run_sync(account_store.list_accounts)}


def test_a_database_the_child_cannot_open_fails_each_write_with_a_store_error(
    tmp_path: Any,
) -> None:
    url = f"sqlite:///{tmp_path}/missing-dir/x.db"

    async def scenario() -> None:
        async with process_writer(url) as writer:
            await writer.submit(Call(writer_pid))

    with pytest.raises(StoreError, match="could not start"):
        run(scenario)


def return_a_generator(connection: Connection) -> Any:
    create_account(connection, "committed anyway")
    return (n for n in range(3))


def test_a_result_that_cannot_be_pickled_fails_alone(database: Database, database_url: str) -> None:
    async def scenario() -> list[Any]:
        async with process_writer(database_url) as writer:
            return await asyncio.gather(
                writer.submit(Call(return_a_generator)),
                writer.submit(Call(create_account, "beside it")),
                return_exceptions=True,
            )

    unpicklable, beside = run(scenario)
    assert isinstance(unpicklable, TypeError)
    assert "cannot leave the writer process" in str(unpicklable)
    assert isinstance(beside, str)


def hand_off_a_generator_beside_plain_data(connection: Connection) -> str:
    hand_off(connection, "plain")
    hand_off(connection, (n for n in range(3)))
    return create_account(connection, "handing off")


def test_a_handed_item_that_cannot_be_pickled_is_left_behind_and_said_so(
    database: Database, database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    taken: list[Any] = []

    async def scenario() -> str:
        writer = GroupCommitWriter(
            Database.from_url(database_url).engine,
            committer=ProcessCommitter(database_url, webhook_handoff_lease=timedelta(minutes=1)),
        )
        writer.on_handoff(taken.extend)
        writer.start()
        try:
            return await writer.submit(Call(hand_off_a_generator_beside_plain_data))
        finally:
            await writer.aclose()

    assert run(scenario).startswith("AC")  # the job's own outcome crossed
    assert taken == ["plain"]
    assert "1 items handed to the gateway could not be pickled" in capfd.readouterr().err

"""Group commit: one writer thread, many waiting requests, one transaction per batch.

SQLite has one writer at a time and an fsync per commit costs far more than an insert, so
every write in the process goes through here. A request submits a job and awaits its
future; the thread takes whatever jobs are waiting (up to `max_batch`), runs them in one
transaction, commits once, and resolves every future together. The transaction runs on
the thread's own connection (`ConnectionCommitter`) or in a writer process
(`store.writer_process`), which gives the writes a core of their own. Jobs of one type
that know how to run as a batch (`run_batch`) share statements (`executemany`), wherever
they stand in the batch.

If the batch's transaction fails, each job is run again in a transaction of its own, so
only the job at fault gets the error and no one else's write is lost or half-done. What a
committed batch hands to this node (`store.handoff`) goes to the `on_handoff` listeners.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from smsgate.errors import SmsgateError, StoreError
from smsgate.store.database import connect_writer
from smsgate.store.handoff import (
    drop_handed_since,
    enable_webhook_handoff,
    handed_count,
    take_handed,
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
log = logging.getLogger(__name__)


class Job(Protocol[T_co]):
    """A unit of writing. `run` executes inside the batch's transaction."""

    def run(self, connection: Connection) -> T_co: ...


class BatchJob(Job[T_co], Protocol):
    """A job whose type can run many of itself at once (one executemany, say).

    `run_batch` returns one result or exception per job, in order; it must raise only when
    the whole transaction is lost.
    """

    @classmethod
    def run_batch(cls, connection: Connection, jobs: Sequence[Any]) -> list[Any]: ...


class _Pending(Generic[T]):
    __slots__ = ("future", "job")

    def __init__(self, job: Job[T], future: asyncio.Future[T]) -> None:
        self.job = job
        self.future = future


_STOP = object()


class GroupCommitWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 256,
        on_commit: Callable[[], None] | None = None,
        committer: Committer | None = None,
    ) -> None:
        """Writes go to `engine` on a connection of the writer thread's own, unless a
        `committer` is given to run them elsewhere."""
        self._committer = committer or ConnectionCommitter(engine)
        self._max_batch = max_batch
        self._listeners: list[Callable[[], None]] = [on_commit] if on_commit else []
        self._takers: list[Callable[[list[Any]], None]] = []
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.jobs = 0

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` on the event loop after every committed batch."""
        self._listeners.append(listener)

    def on_handoff(self, taker: Callable[[list[Any]], None]) -> None:
        """Give `taker`, on the event loop, what each committed batch hands to this node
        (after the batch's own futures are resolved)."""
        self._takers.append(taker)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._serve, name="smsgate-writer", daemon=True)
        self._thread.start()

    async def submit(self, job: Job[T]) -> T:
        """Queue `job` and wait until its transaction has committed (or failed)."""
        if self._loop is None:
            raise RuntimeError("GroupCommitWriter.start() must be called first")
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Pending(job, future))
        return await future

    async def aclose(self) -> None:
        """Finish every job already submitted, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    def _serve(self) -> None:
        with self._committer:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch: list[_Pending[Any]] = [first]
                stop = False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                handed: list[Any] = []
                try:
                    outcomes, handed = self._committer.commit([pending.job for pending in batch])
                except Exception as exc:  # a committer's own failure: the batch fails, we go on
                    outcomes = [_as_store_error(exc)] * len(batch)
                self.batches += 1
                self.jobs += len(batch)
                assert self._loop is not None
                self._loop.call_soon_threadsafe(
                    _resolve, batch, outcomes, self._listeners, handed, self._takers
                )
                if stop:
                    return


class Committer(Protocol):
    """Runs batches of jobs in transactions, for the writer thread: on a connection of its
    own (`ConnectionCommitter`) or in a process of its own (`writer_process`)."""

    def __enter__(self) -> Committer: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self, jobs: list[Job[Any]]) -> tuple[list[Any], list[Any]]:
        """One outcome per job, in order (its result, or the exception it raised), and
        what the committed work handed to this node."""
        ...


class ConnectionCommitter:
    """Runs each batch on one connection of `engine`, opened on entry. With a
    `webhook_handoff_lease`, status changes hand their webhooks to this node's sender
    (`store.handoff`): give it only where the sender runs."""

    def __init__(self, engine: Engine, *, webhook_handoff_lease: timedelta | None = None) -> None:
        self._engine = engine
        self._lease = webhook_handoff_lease
        self._connection: Connection | None = None

    def __enter__(self) -> ConnectionCommitter:
        self._connection = connect_writer(self._engine)
        if self._lease is not None:
            enable_webhook_handoff(self._connection, self._lease)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def commit(self, jobs: list[Job[Any]]) -> tuple[list[Any], list[Any]]:
        assert self._connection is not None, "use the committer in a with block"
        outcomes = commit_batch(self._connection, jobs)
        return outcomes, take_handed(self._connection)


def commit_batch(connection: Connection, jobs: list[Job[Any]]) -> list[Any]:
    """Run `jobs` in one transaction and commit; on failure, each again in its own.
    What the committed jobs handed off waits on the connection for `take_handed`."""
    mark = handed_count(connection)
    try:
        with connection.begin():
            return _run(connection, jobs)
    except Exception as exc:
        drop_handed_since(connection, mark)
        if connection.in_transaction():
            connection.rollback()
        if len(jobs) == 1:
            return [_as_store_error(exc)]
        # Rerun alone so the error reaches only the job that caused it.
        return [_commit_alone(connection, job) for job in jobs]


def _commit_alone(connection: Connection, job: Job[Any]) -> Any:
    mark = handed_count(connection)
    try:
        with connection.begin():
            return _run(connection, [job])[0]
    except Exception as exc:
        drop_handed_since(connection, mark)
        return _as_store_error(exc)


def _run(connection: Connection, jobs: list[Job[Any]]) -> list[Any]:
    """Run every job, returning the outcomes in the jobs' order.

    Jobs of one batchable type run together, wherever they stand in the batch: one
    `run_batch` per type instead of one per run of neighbours. The jobs of a batch were
    submitted concurrently, each by a caller that awaits its own, so no caller can rely on
    an order among them; types run in the order they first appear, except that a type
    whose `runs_first` is true runs before the others.
    """
    by_type: dict[type, list[int]] = {}
    for index, job in enumerate(jobs):
        by_type.setdefault(type(job), []).append(index)
    outcomes: list[Any] = [None] * len(jobs)
    in_order = sorted(by_type.items(), key=lambda item: not getattr(item[0], "runs_first", False))
    for job_type, indexes in in_order:
        run_batch = getattr(job_type, "run_batch", None)
        if run_batch is not None:
            for index, outcome in zip(
                indexes, run_batch(connection, [jobs[i] for i in indexes]), strict=True
            ):
                outcomes[index] = outcome
            continue
        for index in indexes:
            if len(jobs) == 1:
                # Its error rolls back the transaction (commit_batch): nothing it wrote
                # before raising may commit.
                outcomes[index] = jobs[index].run(connection)
                continue
            mark = handed_count(connection)
            try:
                with connection.begin_nested():
                    outcomes[index] = jobs[index].run(connection)
            except SmsgateError as exc:
                drop_handed_since(connection, mark)
                outcomes[index] = exc
    return outcomes


def _as_store_error(exc: Exception) -> BaseException:
    if isinstance(exc, SmsgateError):
        return exc
    log.error("write failed", exc_info=exc)
    if isinstance(exc, SQLAlchemyError):
        error = StoreError(f"The database refused a write: {exc.__class__.__name__}.")
        error.__cause__ = exc
        return error
    return exc


def _resolve(
    batch: list[_Pending[Any]],
    outcomes: list[Any],
    listeners: list[Callable[[], None]],
    handed: list[Any],
    takers: list[Callable[[list[Any]], None]],
) -> None:
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.future.done():
            continue
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)
    if handed:
        for taker in takers:
            taker(handed)
    for listener in listeners:
        listener()


class Call(Generic[T]):
    """A one-off job: `fn(connection, *args, **kwargs)` in the writer's transaction, for
    writes off the hot path.

    `fn` must be a module-level function and the arguments plain data (no lambdas or
    closures): a writer in a process of its own (`store.writer_process`) receives every
    job pickled.
    """

    __slots__ = ("args", "fn", "kwargs")

    def __init__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def run(self, connection: Connection) -> T:
        return self.fn(connection, *self.args, **self.kwargs)

"""Group commit: one writer thread, many waiting requests, one transaction per batch.

SQLite has one writer at a time and an fsync per commit costs far more than an insert, so
every write in the process goes through here. A request submits a job and awaits its
future; the thread takes whatever jobs are waiting (up to `max_batch`), runs them in one
transaction, commits once, and resolves every future together. Jobs of one type that know
how to run as a batch (`run_batch`) share statements (`executemany`).

If the batch's transaction fails, each job is run again in a transaction of its own, so
only the job at fault gets the error and no one else's write is lost or half-done.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from smsgate.errors import SmsgateError, StoreError

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
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._listeners: list[Callable[[], None]] = [on_commit] if on_commit else []
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.jobs = 0

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` on the event loop after every committed batch."""
        self._listeners.append(listener)

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
        with self._engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
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
                self._commit(connection, batch)
                if stop:
                    return

    def _commit(self, connection: Connection, batch: list[_Pending[Any]]) -> None:
        try:
            with connection.begin():
                outcomes = _run(connection, batch)
        except Exception as exc:
            if connection.in_transaction():
                connection.rollback()
            if len(batch) == 1:
                outcomes = [_as_store_error(exc)]
            else:
                # Rerun alone so the error reaches only the job that caused it.
                outcomes = []
                for pending in batch:
                    self._commit_alone(connection, pending, outcomes)
        self.batches += 1
        self.jobs += len(batch)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_resolve, batch, outcomes, self._listeners)

    def _commit_alone(
        self, connection: Connection, pending: _Pending[Any], outcomes: list[Any]
    ) -> None:
        try:
            with connection.begin():
                outcomes.extend(_run(connection, [pending]))
        except Exception as exc:
            outcomes.append(_as_store_error(exc))


def _run(connection: Connection, batch: list[_Pending[Any]]) -> list[Any]:
    outcomes: list[Any] = []
    for job_type, group in itertools.groupby(batch, key=lambda p: type(p.job)):
        items = list(group)
        run_batch = getattr(job_type, "run_batch", None)
        if run_batch is not None:
            outcomes.extend(run_batch(connection, [p.job for p in items]))
            continue
        for pending in items:
            try:
                with connection.begin_nested() if len(batch) > 1 else _nullcontext():
                    outcomes.append(pending.job.run(connection))
            except SmsgateError as exc:
                outcomes.append(exc)
    return outcomes


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


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
    batch: list[_Pending[Any]], outcomes: list[Any], listeners: list[Callable[[], None]]
) -> None:
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.future.done():
            continue
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)
    for listener in listeners:
        listener()


class Call(Generic[T]):
    """A one-off job: run `fn` in the writer's transaction (for writes off the hot path)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Connection], T]) -> None:
        self.fn = fn

    def run(self, connection: Connection) -> T:
        return self.fn(connection)

"""The writer's transactions in a process of their own, so the gateway uses two cores.

A Python process runs one thread at a time (the GIL). In one process, the event loop
(API, SMPP, webhooks) and the writer thread (SQLAlchemy and SQLite) take turns on one
core, and the gateway's throughput is that core. `ProcessCommitter` moves the
transactions to a child process that holds the one write connection; the writer thread
in the gateway only hands it batches and waits, without the GIL, for their outcomes.

Jobs and outcomes cross a socket pair pickled, so a job must be picklable (see `Call`).
An exception crosses as its class, arguments and attributes, whatever its `__init__`
takes. The child is a fresh interpreter, `python -m smsgate.store.writer_process`: no
fork of a process that has an event loop and threads, and none of the gateway's imports
(multiprocessing's `spawn` would import the gateway's main module again, 100 MB of it).
It learns the database URL over the socket, not from its command line, where `ps` would
show a password. It ignores SIGINT and SIGTERM (Ctrl-C reaches the whole process group,
and the gateway must be able to finish its last writes), and ends when the gateway closes
the socket or dies. If the child dies, the batch in hand fails with a StoreError and the
next batch starts a new child.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import pickle
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection as Pipe
from typing import Any

from smsgate.errors import StoreError
from smsgate.store.database import create_store_engine
from smsgate.store.writer import ConnectionCommitter, Job

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class _Raised:
    """An exception, as it crosses the pipe."""

    module: str
    name: str
    args: tuple[Any, ...]
    state: dict[str, Any]

    @classmethod
    def of(cls, exc: BaseException) -> _Raised:
        state = {key: value for key, value in vars(exc).items() if _picklable(value)}
        args = exc.args if _picklable(exc.args) else (str(exc),)
        return cls(type(exc).__module__, type(exc).__qualname__, args, state)

    def rebuild(self) -> BaseException:
        kind: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            kind = getattr(kind, part)
        exc: BaseException = kind.__new__(kind)
        exc.args = self.args
        exc.__dict__.update(self.state)
        return exc


class ProcessCommitter:
    """Runs each batch in a child process on its own connection to the database at `url`
    (a SQLite file, or PostgreSQL)."""

    def __init__(self, url: str, *, webhook_handoff_lease: timedelta | None = None) -> None:
        """`webhook_handoff_lease`: as `ConnectionCommitter`'s."""
        self._url = url
        self._lease = webhook_handoff_lease
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: Pipe | None = None

    def __enter__(self) -> ProcessCommitter:
        try:
            self._start()
        except Exception:
            # Every write says why (below); the gateway itself keeps running.
            log.exception("the database writer process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def commit(self, jobs: list[Job[Any]]) -> tuple[list[Any], list[Any]]:
        # A start that fails raises a StoreError: the writer fails the batch with it.
        if self._pipe is None:
            self._start()
        assert self._pipe is not None
        sendable, outcomes = jobs, [_SENT] * len(jobs)
        handed: list[Any] = []
        try:
            try:
                self._pipe.send(sendable)
            except _PICKLING_ERRORS:  # nothing was sent: pickling comes first
                sendable, outcomes = _split_unpicklable(jobs)
                self._pipe.send(sendable)
            answers, handed = self._pipe.recv()
        except (EOFError, OSError) as exc:
            # Its outcome is unknown: it may have committed just before the child died.
            log.error("the writer process died during a batch of %d jobs", len(sendable))
            self._stop()
            failure = StoreError("The database writer stopped during this write.")
            failure.__cause__ = exc
            answers = [failure] * len(sendable)
        received = iter(answers)
        outcomes = [next(received) if slot is _SENT else slot for slot in outcomes]
        return [_rebuilt(outcome) for outcome in outcomes], handed

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        pipe = Pipe(ours.detach())
        try:
            # Not on the command line, where `ps` would show a password.
            pipe.send((self._url, self._lease))
            if not pipe.poll(START_TIMEOUT):
                raise TimeoutError(f"it did not answer within {START_TIMEOUT:.0f} s")
            started = pipe.recv()
            if isinstance(started, _Raised):
                raise started.rebuild()
        except Exception as exc:
            process.kill()
            process.wait()
            pipe.close()
            raise StoreError(f"The database writer process could not start: {exc}") from exc
        self._process, self._pipe = process, pipe

    def _stop(self) -> None:
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                self._pipe.send(None)
            self._pipe.close()
            self._pipe = None
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


_SENT = object()
_PICKLING_ERRORS = (pickle.PicklingError, TypeError, AttributeError)


def _rebuilt(outcome: Any) -> Any:
    return outcome.rebuild() if isinstance(outcome, _Raised) else outcome


def _split_unpicklable(jobs: list[Job[Any]]) -> tuple[list[Job[Any]], list[Any]]:
    """The jobs that can cross, and one slot per job: _SENT, or the error of one that
    cannot (a lambda in a `Call`, say), so that only it fails."""
    sendable: list[Job[Any]] = []
    slots: list[Any] = []
    for job in jobs:
        if _picklable(job):
            sendable.append(job)
            slots.append(_SENT)
        else:
            slots.append(TypeError(f"{job!r} cannot be sent to the writer process: not picklable"))
    return sendable, slots


def _unpicklable_result(outcome: Any) -> _Raised:
    return _Raised.of(TypeError(f"the result {outcome!r} cannot leave the writer process"))


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def _serve(pipe: Pipe) -> None:
    """The child: run each batch that arrives, answer with its outcomes, until None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        url, lease = pipe.recv()
        engine = create_store_engine(url)
        committer = ConnectionCommitter(engine, webhook_handoff_lease=lease).__enter__()
    except Exception as exc:
        pipe.send(_Raised.of(exc))
        return
    pipe.send("ready")
    try:
        while (jobs := pipe.recv()) is not None:
            results, handed = committer.commit(jobs)
            outcomes = [_Raised.of(o) if isinstance(o, BaseException) else o for o in results]
            try:
                pipe.send((outcomes, handed))
            except _PICKLING_ERRORS:
                outcomes = [o if _picklable(o) else _unpicklable_result(o) for o in outcomes]
                sendable = [item for item in handed if _picklable(item)]
                if len(sendable) < len(handed):
                    # Leased to this node and committed: taken up again when the lease ends.
                    log.error(
                        "%d items handed to the gateway could not be pickled; they wait for "
                        "their lease to run out",
                        len(handed) - len(sendable),
                    )
                pipe.send((outcomes, sendable))
    except (EOFError, OSError):
        return  # the gateway is gone; what committed stays committed
    finally:
        committer.__exit__(None, None, None)
        engine.dispose()


if __name__ == "__main__":
    # By its own name: what crosses the pipe must pickle as this module's, not __main__'s.
    from smsgate.store.writer_process import _serve as serve

    serve(Pipe(int(sys.argv[1])))

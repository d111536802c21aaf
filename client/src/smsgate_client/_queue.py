"""`OutboundQueue`: messages kept in a local SQLite file and sent by a background thread.

Theory of operation. `enqueue` commits a row holding the request *and its Idempotency-Key*
before anything is sent. The worker claims one due row at a time under a lease (a time
until which no other worker takes it; `BEGIN IMMEDIATE` makes claims exclusive even
between processes), sends it with that key, then records the outcome. If the process dies
at any point, the row is still there: pending, or leased until a time that passes. The
next worker sends it again with the same key, and the gateway answers a repeated key with
the message it already has, so a message is sent once however the crash fell.

Outcomes: a 201 marks the row `sent` (with the message id). A transient failure
(connection, timeout, 429, 5xx, credentials) schedules another attempt with exponential
backoff and full jitter, honouring Retry-After, up to `max_attempts`; a refusal (invalid
number, opted out, …) marks it `failed` with the gateway's sentence.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from smsgate_client._bucket import TokenBucket
from smsgate_client._errors import (
    APIConnectionError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    SmsgateError,
)
from smsgate_client._sync import Client

log = logging.getLogger("smsgate_client.queue")
State = Literal["pending", "sent", "failed"]
_TRANSIENT = (APIConnectionError, RateLimitError, ServerError, AuthenticationError)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbound (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    request TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    message_id TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_due ON outbound (state, next_attempt_at);
"""


@dataclass(frozen=True, slots=True)
class QueueCounts:
    pending: int
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A row of the queue: what to send, and how far it got."""

    idempotency_key: str
    to: str
    body: str
    state: State
    attempts: int
    message_id: str | None
    error: str | None


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    return connection


class OutboundQueue:
    """A durable outbox for messages, sent in the background at a steady pace.

    Args:
        path: the SQLite file (created if missing). Several processes may share it.
        client: the `Client` to send with; default: one built from `SMSGATE_*` variables.
        rate: sends per second, on average (a token bucket).
        burst: how many may go at once after a quiet spell.
        max_attempts: attempts per message before it is marked failed.
        backoff_base, backoff_max: the wait after the first failure, and the longest wait.
        lease_seconds: how long a claimed message is held by this worker; after a crash
            it is sent again once this passes. Keep it above the client's total timeout.
        start: start the worker thread now (else call `start()`).

    Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        client: Client | None = None,
        rate: float = 1.0,
        burst: int = 1,
        max_attempts: int = 10,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.5,
        start: bool = True,
    ) -> None:
        self.path = Path(path)
        self._owns_client = client is None
        self._client = client or Client()
        self._bucket = TokenBucket(rate, burst)
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._lease = lease_seconds
        self._poll = poll_interval
        self._connection = _connect(self.path)
        self._lock = threading.Lock()
        self._connection.executescript(_SCHEMA)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()
        if start:
            self.start()

    # -- the caller's side ------------------------------------------------------------

    def enqueue(
        self,
        to: str,
        body: str,
        *,
        from_: str | None = None,
        status_callback: str | None = None,
        send_at: datetime | str | None = None,
        validity_period: int | None = None,
        key: str | None = None,
    ) -> str:
        """Commit a message to the queue; returns its Idempotency-Key.

        With `key` (your own id for this message), enqueueing the same key again adds
        nothing, so an app that restarts half-way through its own loop can simply run it
        again. Once this returns, the message survives a crash of the process.
        """
        request = {
            "to": to,
            "body": body,
            "from_": from_,
            "status_callback": status_callback,
            "send_at": send_at.isoformat() if isinstance(send_at, datetime) else send_at,
            "validity_period": validity_period,
        }
        idempotency_key = key or f"queue-{uuid.uuid4().hex}"
        now = time.time()
        with self._lock:
            self._connection.execute(
                "INSERT OR IGNORE INTO outbound (idempotency_key, request, next_attempt_at, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (idempotency_key, json.dumps(request), now, now, now),
            )
        self._wake.set()
        return idempotency_key

    def counts(self) -> QueueCounts:
        """How many messages are pending (incl. being sent), sent and failed."""
        with self._lock:
            rows = dict(
                self._connection.execute(
                    "SELECT state, count(*) FROM outbound GROUP BY state"
                ).fetchall()
            )
        return QueueCounts(rows.get("pending", 0), rows.get("sent", 0), rows.get("failed", 0))

    def messages(self, state: State | None = None) -> list[QueuedMessage]:
        """The queue's rows in the order they were enqueued, optionally of one state."""
        sql = "SELECT idempotency_key, request, state, attempts, message_id, error FROM outbound"
        args: tuple[Any, ...] = ()
        if state is not None:
            sql, args = sql + " WHERE state = ?", (state,)
        with self._lock:
            rows = self._connection.execute(sql + " ORDER BY seq", args).fetchall()
        found = []
        for key, request, row_state, attempts, message_id, error in rows:
            data = json.loads(request)
            found.append(
                QueuedMessage(key, data["to"], data["body"], row_state, attempts, message_id, error)
            )
        return found

    def wait_until_empty(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending; False if `timeout` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._progress:
            while self.counts().pending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._progress.wait(self._poll if remaining is None else min(remaining, self._poll))
        return True

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"smsgate-queue:{self.path.name}", daemon=True
            )
            self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the worker after the send in progress (waiting up to `timeout`); what is
        still pending stays in the file for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self._connection.close()
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> OutboundQueue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the worker's side ------------------------------------------------------------

    def _run(self) -> None:
        connection = _connect(self.path)
        try:
            while not self._stop.is_set():
                wait = self._bucket.wait_time()
                if wait > 0:
                    self._stop.wait(wait)
                    continue
                self._wake.clear()  # before the claim: an enqueue from now on wakes us
                try:
                    job = self._claim(connection)
                    if job is not None:
                        self._bucket.take()
                        self._attempt(connection, *job)
                except sqlite3.OperationalError:
                    # Locked past the busy timeout, disk full…: a leased row is sent again
                    # (with its key) once its lease passes, so going on loses nothing.
                    log.exception("the queue file %s failed us; trying again", self.path)
                    self._stop.wait(self._poll)
                    continue
                if job is None:
                    self._wake.wait(self._poll)
                    continue
                with self._progress:
                    self._progress.notify_all()
        finally:
            connection.close()

    @contextmanager
    def _transaction(self, connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _claim(self, connection: sqlite3.Connection) -> tuple[int, str, str, int] | None:
        now = time.time()
        with self._transaction(connection):
            row = connection.execute(
                "SELECT seq, idempotency_key, request, attempts FROM outbound "
                "WHERE state = 'pending' AND next_attempt_at <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) "
                "ORDER BY next_attempt_at, seq LIMIT 1",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE outbound SET lease_until = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE seq = ?",
                (now + self._lease, now, row[0]),
            )
        seq, key, request, attempts = row
        return seq, key, request, attempts + 1

    def _attempt(
        self, connection: sqlite3.Connection, seq: int, key: str, request: str, attempt: int
    ) -> None:
        try:
            message = self._client.messages.send(**json.loads(request), idempotency_key=key)
        except _TRANSIENT as exc:
            self._retry_or_fail(connection, seq, attempt, exc)
        except SmsgateError as exc:
            self._finish(connection, seq, "failed", None, exc.detail)
        except Exception as exc:  # a bug must not stop the worker; the row is kept
            log.exception("sending queued message %s failed unexpectedly", key)
            self._retry_or_fail(connection, seq, attempt, exc)
        else:
            self._finish(connection, seq, "sent", message.id, None)

    def _retry_or_fail(
        self, connection: sqlite3.Connection, seq: int, attempt: int, error: Exception
    ) -> None:
        detail = error.detail if isinstance(error, SmsgateError) else repr(error)
        if attempt >= self._max_attempts:
            self._finish(connection, seq, "failed", None, f"gave up after {attempt}: {detail}")
            return
        step = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
        wait = self._rng.uniform(0, step)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            wait = max(wait, error.retry_after)
        now = time.time()
        with self._transaction(connection):
            connection.execute(
                "UPDATE outbound SET next_attempt_at = ?, lease_until = NULL, error = ?, "
                "updated_at = ? WHERE seq = ?",
                (now + wait, detail, now, seq),
            )

    def _finish(
        self,
        connection: sqlite3.Connection,
        seq: int,
        state: State,
        message_id: str | None,
        error: str | None,
    ) -> None:
        now = time.time()
        with self._transaction(connection):
            connection.execute(
                "UPDATE outbound SET state = ?, message_id = ?, error = ?, lease_until = NULL, "
                "updated_at = ? WHERE seq = ?",
                (state, message_id, error, now, seq),
            )

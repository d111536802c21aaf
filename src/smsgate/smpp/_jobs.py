"""Peer requests whose answer takes a coroutine, and the workers that run them.

A link's reader must not wait on a handler (a receipt callback writing to a database, a
simulator holding a submit_sm_resp): it queues the handler's coroutine here and reads on.
A fixed set of workers (tasks in the link's TaskGroup) run the coroutines and send their
answers. The queue holds at most `capacity` jobs; when full, the reader waits in `put`
and so stops reading, which slows the peer down instead of buffering without bound.

Deadlines: entering asyncio.timeout per PDU costs more than the PDU does, so jobs run
without one. The link's timer calls `expire(now)` instead, which cancels a worker whose
job overran `timeout`; the worker then answers `timeout_status`. Any other cancellation
(the link closing) propagates as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final

from smsgate.smpp.connection import error_response
from smsgate.smpp.pdu import Pdu
from smsgate.smpp.status import CommandStatus

log = logging.getLogger("smsgate.smpp")

Job = Coroutine[Any, Any, Pdu | None]
"""Produces the answer to a peer request, or None if it sent one itself."""

_IDLE: Final = -1.0  # a worker's job start time when it has no job
_OVERDUE: Final = -2.0  # ... when `expire` cancelled its job


class Jobs:
    """A bounded queue of jobs and the workers that run them.

    Args:
        workers: how many jobs run at once.
        capacity: how many may wait.
        timeout: seconds a job may run before it is cancelled.
        timeout_status: the command_status that answers a cancelled or failed job.
        answer: sends a job's answer (the link's reply).
        name: for log lines.
    """

    def __init__(
        self,
        *,
        workers: int,
        capacity: int,
        timeout: float,
        timeout_status: CommandStatus,
        answer: Callable[[Pdu], None],
        name: str,
    ) -> None:
        self._capacity = capacity
        self._timeout = timeout
        self._timeout_status = timeout_status
        self._answer = answer
        self._name = name
        self._queue: deque[tuple[Pdu, Job]] = deque()
        self._idle: deque[asyncio.Future[None]] = deque()
        self._room: asyncio.Future[None] | None = None
        self._started = [_IDLE] * workers  # per worker: loop time its job began
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, tasks: asyncio.TaskGroup) -> list[asyncio.Task[None]]:
        """Start the workers in `tasks`; cancel them to stop."""
        self._tasks = [tasks.create_task(self._work(slot)) for slot in range(len(self._started))]
        return self._tasks

    def put_nowait(self, pdu: Pdu, job: Job) -> bool:
        """Queue a job; False (and nothing queued) when the queue is full."""
        if len(self._queue) >= self._capacity:
            return False
        self._queue.append((pdu, job))
        idle = self._idle
        while idle:
            worker = idle.popleft()
            if not worker.done():
                worker.set_result(None)
                break
        return True

    async def put(self, pdu: Pdu, job: Job) -> None:
        """Queue a job, waiting for room (each queued job ends within `timeout`)."""
        try:
            while not self.put_nowait(pdu, job):
                self._room = asyncio.get_running_loop().create_future()
                await self._room
        except BaseException:
            job.close()  # never started: close it, or it warns that nobody awaited it
            raise

    def expire(self, now: float) -> None:
        """Cancel the workers whose job began more than `timeout` before `now`."""
        for slot, began in enumerate(self._started):
            if began >= 0 and now - began > self._timeout:
                self._started[slot] = _OVERDUE
                self._tasks[slot].cancel()

    def close(self) -> None:
        """Drop the jobs that never started (after the workers are stopped)."""
        while self._queue:
            self._queue.popleft()[1].close()

    async def _work(self, slot: int) -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        started = self._started
        queue = self._queue
        while True:
            if not queue:
                idle = loop.create_future()
                self._idle.append(idle)
                await idle
                continue
            pdu, job = queue.popleft()
            if self._room is not None and not self._room.done():
                self._room.set_result(None)
            started[slot] = loop.time()
            try:
                answer = await job
            except asyncio.CancelledError:
                if started[slot] != _OVERDUE or task.uncancel() > 0:
                    raise
                log.warning(
                    "%s: no answer to %s within %s s; answering %s",
                    self._name,
                    pdu.command_id.name,
                    self._timeout,
                    self._timeout_status.name,
                )
                answer = error_response(pdu, self._timeout_status)
            except Exception:
                log.exception("%s: handling %s failed", self._name, pdu.command_id.name)
                answer = error_response(pdu)
            else:
                if started[slot] == _OVERDUE:  # the job swallowed our cancellation
                    task.uncancel()
            started[slot] = _IDLE
            if answer is not None:
                self._answer(answer)

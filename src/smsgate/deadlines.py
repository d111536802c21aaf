"""Many deadlines of one length, kept by one timer: `asyncio.timeout` without a timer each.

`asyncio.timeout` schedules a timer when it is entered and cancels it when it is left. The
webhook sender enters one for each of a message's three webhooks, and the dispatcher one
for each submit: in a burst that was 8% of the gateway's CPU, most of it making and
cancelling timers that never fire. Here every deadline has the same length, so they end in
the order they begin: they wait in a queue, and one timer, set for the oldest, fires only
when a task may have run out of time. Leaving a deadline marks it done; done ones are
dropped from the front of the queue as they come up.

The semantics are `asyncio.timeout`'s: a task past its deadline is cancelled, and the
`with` block turns that cancellation into a TimeoutError, leaving any other cancellation of
the task as it was (`Task.uncancel`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class Deadlines:
    """`with deadlines.start(): await ...` ends the awaits `seconds` after the start with a
    TimeoutError."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"a deadline needs a positive length, not {seconds!r}")
        self.seconds = seconds
        self._waiting: deque[Deadline] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> Deadline:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Used from a new loop (a restart, a test): what the old one kept is moot.
            self._loop, self._timer = loop, None
            self._waiting.clear()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a deadline is for code that runs in a task")
        deadline = Deadline(self, task, loop.time() + self.seconds)
        self._waiting.append(deadline)
        if self._timer is None:
            self._timer = loop.call_at(deadline.at, self._expire)
        return deadline

    def _drop_done(self) -> None:
        waiting = self._waiting
        while waiting and waiting[0].done:
            waiting.popleft()

    def _expire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        waiting = self._waiting
        while waiting and (waiting[0].done or waiting[0].at <= now):
            deadline = waiting.popleft()
            if not deadline.done:
                deadline.expire()
        if waiting:
            self._timer = self._loop.call_at(waiting[0].at, self._expire)


class Deadline:
    """One task's deadline; a context manager around the awaits it bounds."""

    __slots__ = ("_cancelling", "_owner", "_task", "at", "done", "expired")

    def __init__(self, owner: Deadlines, task: asyncio.Task[object], at: float) -> None:
        self._owner = owner
        self._task = task
        self._cancelling = task.cancelling()
        self.at = at
        self.done = False
        self.expired = False

    def expire(self) -> None:
        self.expired = True
        self._task.cancel()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.done = True
        self._owner._drop_done()
        # As asyncio.timeout: our own cancel is taken back, and only when no other is
        # pending does the task see a TimeoutError instead of the cancellation.
        if not self.expired:
            return
        cancelled_by_others = self._task.uncancel() > self._cancelling
        if kind is asyncio.CancelledError and not cancelled_by_others:
            raise TimeoutError from error

"""The loop both the dispatcher and the webhook sender run: claim due work, work on it.

It claims as many items as there are free slots, starts one task per item in its own
TaskGroup (so every task has an owner), and sleeps until woken (new work committed, a
slot freed) or the poll interval passes (retries and leases come due on their own). A
claim that fills every slot it asked for is followed at once by another. Work that comes
already claimed (`offer`) starts at once while slots are free, and before any claim.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class ClaimLoop(Generic[T]):
    def __init__(
        self,
        *,
        max_in_flight: int,
        poll_interval: float,
        batch: int | None = None,
        spacing: float = 0.0,
    ) -> None:
        """`batch` caps one claim; `spacing` is the least time between claims, so a burst
        of wake-ups costs one claim."""
        self._max_in_flight = max_in_flight
        self._poll_interval = poll_interval
        self._batch = batch or max_in_flight
        self._spacing = spacing
        self._wake = asyncio.Event()
        self._stopping = False
        self._offered: deque[T] = deque()
        self._start: Callable[[T], None] | None = None
        self._finished = False
        self.in_flight = 0

    def wake(self) -> None:
        """Claim now rather than at the next poll."""
        self._wake.set()

    def offer(self, items: Iterable[T]) -> list[T]:
        """Work on `items`, claimed already: now while slots are free, else as they free
        up (items offered before `run` wait for it). Returns the items refused because
        `run` has returned: they are the caller's to give back."""
        if self._finished:
            return list(items)
        self._offered.extend(items)
        self._start_offered()
        return []

    def stop(self) -> None:
        """Claim nothing more; `run` returns once the items in hand are done."""
        self._stopping = True
        self._wake.set()

    async def run(
        self,
        claim: Callable[[int], Awaitable[list[T]]],
        handle: Callable[[T], Awaitable[None]],
    ) -> None:
        """Until stopped: `claim(n)` up to n items, then `handle` each in its own task."""
        async with asyncio.TaskGroup() as tasks:

            def start(item: T) -> None:
                self.in_flight += 1
                tasks.create_task(self._handle(handle, item))

            self._start = start
            try:
                await self._claim_until_stopped(claim, start)
                # What was offered is leased to us: done before returning, as claims are.
                while self._offered:
                    start(self._offered.popleft())
            finally:
                self._start = None
                self._finished = True

    async def _claim_until_stopped(
        self, claim: Callable[[int], Awaitable[list[T]]], start: Callable[[T], None]
    ) -> None:
        while not self._stopping:
            self._wake.clear()
            self._start_offered()
            wanted = min(self._max_in_flight - self.in_flight, self._batch)
            items = await claim(wanted) if wanted > 0 else []
            for item in items:
                start(item)
            if wanted > 0 and len(items) == wanted:
                continue
            try:
                async with asyncio.timeout(self._poll_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            if self._spacing:
                await asyncio.sleep(self._spacing)

    def _start_offered(self) -> None:
        start = self._start
        if start is None:
            return
        while self._offered and self.in_flight < self._max_in_flight:
            start(self._offered.popleft())

    async def _handle(self, handle: Callable[[T], Awaitable[None]], item: T) -> None:
        try:
            await handle(item)
        finally:
            self.in_flight -= 1
            self._start_offered()
            self._wake.set()

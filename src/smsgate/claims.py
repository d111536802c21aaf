"""The loop both the dispatcher and the webhook sender run: claim due work, work on it.

It claims as many items as there are free slots, starts one task per item in its own
TaskGroup (so every task has an owner), and sleeps until woken (new work committed, a
slot freed) or the poll interval passes (retries and leases come due on their own). A
claim that fills every slot it asked for is followed at once by another. Work that comes
already claimed (`offer`) starts at once if a slot is free; what finds none is handed back,
so that nothing waits in memory under a lease that may run out.
"""

from __future__ import annotations

import asyncio
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
        self._start: Callable[[T], None] | None = None
        self.in_flight = 0

    def wake(self) -> None:
        """Claim now rather than at the next poll."""
        self._wake.set()

    def offer(self, items: Iterable[T]) -> list[T]:
        """Start work on `items`, claimed already, as far as slots are free. Returns the
        ones refused (no free slot, or the loop is not running): the caller's to give back."""
        refused = []
        for item in items:
            if self._start is not None and self.in_flight < self._max_in_flight:
                self._start(item)
            else:
                refused.append(item)
        return refused

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
            finally:
                self._start = None

    async def _claim_until_stopped(
        self, claim: Callable[[int], Awaitable[list[T]]], start: Callable[[T], None]
    ) -> None:
        while not self._stopping:
            self._wake.clear()
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

    async def _handle(self, handle: Callable[[T], Awaitable[None]], item: T) -> None:
        try:
            await handle(item)
        finally:
            self.in_flight -= 1
            self._wake.set()

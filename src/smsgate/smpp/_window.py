"""The window: how many of our requests may await an answer at once.

SMPP 3.4 lets either end send requests without waiting for each answer (asynchronous
operation), up to a window both ends agree on out of band. `Connection` refuses a
request beyond it; this class makes the sender wait instead (backpressure), in arrival
order, and nobody overtakes. A slot freed by an answer goes straight to the oldest in
line, which is either

- a request queued with `enqueue`: it is sent at once, from where the slot was freed,
  and its sender keeps waiting for the answer only (one task switch per request), or
- a sender waiting in `take` (to send by itself): it is woken holding the slot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from smsgate.smpp.pdu import Pdu

Queued = tuple[Pdu, "asyncio.Future[Pdu]"]
"""A request waiting for a slot, and the future of its answer."""


class Window:
    """Slots for requests awaiting an answer.

    Args:
        size: how many slots (the connection's window).
        dispatch: sends a queued request with the slot just handed to it; returns
            False if it could not (it failed the answer), and the slot moves on.

    After `stop(refusal)` no slot is given out again: `take` and `enqueue` raise
    `refusal()`, and everyone in line fails with it. After `clear()` (the connection is
    gone) nothing is held any more and `give_back` does nothing.
    """

    def __init__(self, size: int, dispatch: Callable[[Pdu, asyncio.Future[Pdu]], bool]) -> None:
        self.size = size
        self.in_use = 0
        self._dispatch = dispatch
        self._line: deque[asyncio.Future[None] | Queued] = deque()
        self._drained: asyncio.Future[None] | None = None
        self._refusal: Callable[[], BaseException] | None = None
        self._cleared = False

    @property
    def waiting(self) -> int:
        """Requests and senders in line for a slot."""
        return sum(
            not (entry if isinstance(entry, asyncio.Future) else entry[1]).done()
            for entry in self._line
        )

    def take_nowait(self) -> bool:
        """Take a free slot if there is one and nobody is in line for it."""
        if self._refusal is None and self.in_use < self.size and not self._line:
            self.in_use += 1
            return True
        return False

    async def take(self) -> None:
        """Take a slot, waiting in line for one (no deadline: each held slot is given
        back when its answer comes, expires or the connection goes).

        Raises:
            Whatever `refusal()` returns, once `stop` was called.
        """
        if self._refusal is not None:
            raise self._refusal()
        if self.take_nowait():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._line.append(waiter)
        try:
            await waiter  # handed a slot by give_back, or failed by stop
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.give_back()  # handed a slot, but we will not use it
            raise

    def enqueue(self, pdu: Pdu, answer: asyncio.Future[Pdu]) -> None:
        """Put a request in line; `dispatch` sends it when a slot is handed to it. If
        `answer` is done by then (its sender gave up), it is skipped, never sent.

        Raises:
            Whatever `refusal()` returns, once `stop` was called.
        """
        if self._refusal is not None:
            raise self._refusal()
        self._line.append((pdu, answer))

    def give_back(self) -> None:
        """Free a slot: the oldest in line gets it, else it is free."""
        if self._cleared:
            return
        line = self._line
        while line:
            entry = line.popleft()
            if isinstance(entry, asyncio.Future):
                if not entry.done():
                    entry.set_result(None)  # the slot passes on; in_use is unchanged
                    return
            elif not entry[1].done() and self._dispatch(*entry):
                return  # sent with this slot; in_use is unchanged
        self.in_use -= 1
        if self.in_use == 0 and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def stop(self, refusal: Callable[[], BaseException]) -> None:
        """Give out no more slots; all in line, and later takers, fail with `refusal()`."""
        self._refusal = refusal
        while self._line:
            entry = self._line.popleft()
            future = entry if isinstance(entry, asyncio.Future) else entry[1]
            if not future.done():
                future.set_exception(refusal())

    async def drained(self, budget: float) -> bool:
        """Wait up to `budget` s until no slot is held; True if none is."""
        if self.in_use == 0:
            return True
        self._drained = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(budget):
                await self._drained
        except TimeoutError:
            return False
        return True

    def clear(self) -> None:
        """The connection is gone: nothing is held, nothing waits."""
        self._cleared = True
        self.in_use = 0
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

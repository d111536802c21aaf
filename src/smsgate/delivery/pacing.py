"""Pace on the way out: token buckets, the AIMD brake, and per-sender rates.

The pure parts take `now` from the caller and never read a clock:

- `TokenBucket`: `rate` tokens a second, at most `capacity` saved up.
- `RateLimit`: what a connector's TPS and a sender's MPS mean: never more than `rate`
  takes in any one-second window (a sliding window over the last takes, with 50 ms to
  spare for jitter), and `rate` a second in the long run
  (a token bucket holding what `CATCH_UP` brings, at least two tokens, so waiters that
  woke late catch up instead of losing their turns).
- `Aimd`: a factor in [floor, 1] that scales a connector's rate and window. SMSC
  pushback (ESME_RTHROTTLED, ESME_RMSGQFUL) halves it, at most once per `hold` seconds
  (the answers of submits already in flight are the same pushback, not a new one); it
  then grows back by `recovery` per second: multiplicative decrease, additive increase.
- `SenderCaps`: the messages-per-second cap of each sender.

`Pacer` is the asyncio glue: waiters go one at a time, in the order they came (FIFO), each
once the bucket has a token at the moment it goes.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from smsgate.domain.numbers import NumberType, default_mps
from smsgate.domain.routing import SenderType, sender_type
from smsgate.errors import SmsgateError

log = logging.getLogger(__name__)

DEFAULT_MPS: Mapping[SenderType, float] = {
    kind.value: float(default_mps(kind)) for kind in NumberType
}


class SenderCaps:
    """The most messages a second each sender may send: a registered number's own `mps`,
    else the default of its type (the registered type, or the type its form reads as).

    Called from the writer's thread while `update` swaps in a new table from the event
    loop: one dict replaced whole, never changed in place.
    """

    def __init__(self, defaults: Mapping[SenderType, float] = DEFAULT_MPS) -> None:
        self._defaults = defaults
        self._numbers: dict[str, tuple[SenderType, float | None]] = {}

    def update(self, numbers: Iterable[tuple[str, str, float | None]]) -> None:
        """The registered numbers: (number, type, own mps or None)."""
        self._numbers = {
            number: (kind, mps)  # type: ignore[misc]
            for number, kind, mps in numbers
        }

    def __call__(self, sender: str) -> float:
        kind, own = self._numbers.get(sender, (None, None))
        if own is not None:
            return own
        return self._defaults[kind or sender_type(sender)]

    async def keep_current(
        self, load: Callable[[], Awaitable[list[tuple[str, str, float | None]]]], every: float
    ) -> None:
        """Reload the registered numbers every `every` seconds, so a changed cap applies."""
        while True:
            try:
                self.update(await load())
            except SmsgateError:
                log.warning("could not read the numbers' rates; keeping the ones known")
            await asyncio.sleep(every)


_EPSILON = 1e-9


@dataclass(slots=True)
class TokenBucket:
    rate: float
    capacity: float = 1.0
    tokens: float = field(default=-1.0)  # -1: start full
    updated: float | None = None

    def __post_init__(self) -> None:
        if not self.rate > 0 or not self.capacity >= 1:
            raise ValueError(f"TokenBucket needs rate > 0 and capacity >= 1, got {self}")
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def try_take(self, now: float, cost: float = 1.0) -> float:
        """Take `cost` tokens and return 0, or take nothing and return the seconds until a
        token is there. A cost above what is saved leaves the bucket in debt, which the
        next takers wait out, so the long-run rate holds for any cost."""
        self._refill(now)
        if self.tokens >= 1.0 - _EPSILON:  # float sums of refills fall short by a hair
            self.tokens -= cost
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def set_rate(self, rate: float, now: float) -> None:
        """Change the rate from `now` on; what was saved at the old rate is kept."""
        if not rate > 0:
            raise ValueError(f"rate must be above 0, got {rate}")
        self._refill(now)
        self.rate = rate


WINDOW = 1.0
# At least one token saved beside the one in use: a waiter that woke late goes, and the
# next one goes on time, so lateness is not lost from the long-run rate.
BURST = 2.0
# What the bucket saves, in seconds of its rate. A loop that stalls (a busy event loop, a
# slow writer) wakes its waiters late; what they earned meanwhile lets them catch up, as
# far as the window allows, instead of the lateness being lost for good. With only two
# tokens, a connector at 50 TPS sent 47.7 a second on an idle machine and 44.5 on a
# loaded one. At fast rates it also means a wait shorter than a loop's timers (about a
# millisecond late at best) is not needed: a burst that arrives in one iteration goes.
CATCH_UP = 0.1
# `rate` takes are spread over a little more than one window, so that jitter between
# here and the SMSC (a stalled loop or network on either side) does not put `rate + 1` of
# them into one of the SMSC's one-second windows. It costs ~5% of the nominal rate.
WINDOW_GUARD = 0.05


class RateLimit:
    def __init__(self, rate: float) -> None:
        self.rate = 0.0
        self._bucket = TokenBucket(rate, BURST, tokens=1.0)
        self._recent: deque[float] = deque()
        self._per_window = 0
        self._set(rate)

    def _set(self, rate: float) -> None:
        self.rate = rate
        self._bucket.capacity = max(BURST, rate * CATCH_UP)
        self._per_window = math.floor(rate * WINDOW)
        self._recent = deque(self._recent, maxlen=max(1, self._per_window))

    def set_rate(self, rate: float, now: float) -> None:
        if rate != self.rate:
            self._bucket.set_rate(rate, now)
            self._set(rate)

    def try_take(self, now: float) -> float:
        """Take one and return 0, or return the seconds to wait before trying again."""
        if self._per_window >= 1 and len(self._recent) >= self._per_window:
            wait = self._recent[0] + WINDOW + WINDOW_GUARD - now
            if wait > 0:
                return wait
        wait = self._bucket.try_take(now)
        if wait > 0:
            return wait
        self._recent.append(now)
        return 0.0


@dataclass(slots=True)
class Aimd:
    floor: float = 1 / 64
    recovery: float = 0.1  # factor regained per second without pushback
    hold: float = 1.0
    _base: float = 1.0
    _since: float | None = None

    def factor(self, now: float) -> float:
        if self._since is None:
            return self._base
        return min(1.0, self._base + self.recovery * max(0.0, now - self._since))

    def pushback(self, now: float) -> bool:
        """The SMSC asked us to slow down. Returns whether the factor was halved."""
        if self._since is not None and now - self._since < self.hold:
            return False
        self._base = max(self.floor, self.factor(now) / 2)
        self._since = now
        return True

    def window(self, full: int, now: float) -> int:
        """The part of a window of `full` slots in use at the current factor (at least 1)."""
        return max(1, math.floor(full * self.factor(now)))


class Pacer:
    """FIFO gate over a RateLimit. `rate` is a number, or a function asked before each
    take (AIMD lowers and raises a connector's rate while submits wait)."""

    def __init__(
        self, rate: float | Callable[[], float], *, clock: Callable[[], float] | None = None
    ) -> None:
        self._rate = rate if callable(rate) else (lambda: rate)
        self._limit = RateLimit(self._rate())
        self._lock = asyncio.Lock()
        self._clock = clock
        self.waiting = 0

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def wait(self) -> None:
        if not self.waiting and self._try_take() <= 0:
            return  # nobody queued ahead and a token at hand: no trip through the lock
        self.waiting += 1
        try:
            async with self._lock:
                while True:
                    delay = self._try_take()
                    if delay <= 0:
                        return
                    # The sleep is the pacing itself, bounded by a tenth of a second so a
                    # rate that grows meanwhile is seen.
                    await asyncio.sleep(min(delay, 0.1))
        finally:
            self.waiting -= 1

    def _try_take(self) -> float:
        """Take one and return 0, or the seconds to wait (at the rate asked for now)."""
        now = self._now()
        self._limit.set_rate(self._rate(), now)
        return self._limit.try_take(now)


class SenderPacers:
    """One Pacer per sender, at that sender's MPS; idle ones are forgotten."""

    def __init__(self, mps: Callable[[str], float]) -> None:
        self._mps = mps
        self._pacers: dict[str, Pacer] = {}

    async def wait(self, sender: str) -> None:
        pacer = self._pacers.get(sender)
        if pacer is None:
            pacer = self._pacers[sender] = Pacer(self._mps(sender))
        try:
            await pacer.wait()
        finally:
            if pacer.waiting == 0 and len(self._pacers) > 10_000:
                self._forget_idle()

    def _forget_idle(self) -> None:
        # A forgotten sender starts with a full bucket: at most one message early.
        for sender in [s for s, p in self._pacers.items() if p.waiting == 0]:
            del self._pacers[sender]

    def backlog(self) -> dict[str, int]:
        """Messages waiting, by sender."""
        return {sender: p.waiting for sender, p in self._pacers.items() if p.waiting}

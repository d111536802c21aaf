"""Pace on the way out: token buckets, the AIMD brake, and per-sender rates.

The pure parts take `now` from the caller and never read a clock:

- `TokenBucket`: `rate` tokens a second, at most `capacity` saved up. With capacity 1,
  takes are at least 1/rate apart, so no window of one second ever holds more than
  `rate` of them.
- `Aimd`: a factor in [floor, 1] that scales a connector's rate and window. SMSC
  pushback (ESME_RTHROTTLED, ESME_RMSGQFUL) halves it, at most once per `hold` seconds
  (the answers of submits already in flight are the same pushback, not a new one); it
  then grows back by `recovery` per second: multiplicative decrease, additive increase.
- `mps_for`: the messages-per-second cap of a sender.

`Pacer` is the asyncio glue: waiters go one at a time, in the order they came (FIFO), each
once the bucket has a token at the moment it goes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from smsgate.domain.routing import SenderType, sender_type

DEFAULT_MPS: Mapping[SenderType, float] = {
    "long_code": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
    "alphanumeric": 10.0,
}


def mps_for(sender: str, defaults: Mapping[SenderType, float] = DEFAULT_MPS) -> float:
    """The most messages a second `sender` may send: the default for its type.

    The one place a sender's cap is decided, so a per-number override plugs in here.
    """
    return defaults[sender_type(sender)]


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
        if self.tokens >= 1.0:
            self.tokens -= cost
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def set_rate(self, rate: float, now: float) -> None:
        """Change the rate from `now` on; what was saved at the old rate is kept."""
        if not rate > 0:
            raise ValueError(f"rate must be above 0, got {rate}")
        self._refill(now)
        self.rate = rate


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
    """FIFO gate over a TokenBucket whose rate may be capped by a factor (AIMD)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] | None = None) -> None:
        self.rate = rate
        self._bucket = TokenBucket(rate)
        self._lock = asyncio.Lock()
        self._clock = clock
        self.waiting = 0

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def set_rate(self, rate: float) -> None:
        if rate != self._bucket.rate:
            self._bucket.set_rate(rate, self._now())

    async def wait(self, cost: float = 1.0) -> None:
        self.waiting += 1
        try:
            async with self._lock:
                # The sleep is the pacing itself: it waits for the next token.
                while (delay := self._bucket.try_take(self._now(), cost)) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(delay)
        finally:
            self.waiting -= 1


class SenderPacers:
    """One Pacer per sender, at that sender's MPS; idle ones are forgotten."""

    def __init__(self, mps: Callable[[str], float]) -> None:
        self._mps = mps
        self._pacers: dict[str, Pacer] = {}

    async def wait(self, sender: str, cost: float = 1.0) -> None:
        pacer = self._pacers.get(sender)
        if pacer is None:
            pacer = self._pacers[sender] = Pacer(self._mps(sender))
        try:
            await pacer.wait(cost)
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

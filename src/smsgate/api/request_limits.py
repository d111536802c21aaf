"""How many API requests one account may make: a burst limit and a sustained rate.

Two `limits` items are hit per request, keyed by account: at most `api_burst` in any one
second, and at most `api_rate * api_window` in any `api_window` seconds. So a client may
send a burst above its rate for a moment, but not keep it up. The default strategy is the
moving window: it counts exactly the requests of the last window, so the edge of a fixed
window cannot let through twice the limit; with in-process storage it costs a few
microseconds a request.

Storage is in process by default (each gateway process counts on its own). With a Redis
URL the counts are shared by every process that points at it; the calls are then
asynchronous, and if Redis does not answer the request is let through and a warning is
logged, so a Redis outage does not stop message sending.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond, WindowStats, storage, strategies
from limits import aio as limits_aio
from redis.exceptions import RedisError

from smsgate.config import LimitsSettings
from smsgate.errors import RateLimitedError

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 0.5  # seconds; a slow Redis must not hold up the API


@dataclass(frozen=True, slots=True)
class _Limit:
    item: RateLimitItem
    window: int


_SYNC: dict[str, type[strategies.RateLimiter]] = {
    "moving-window": strategies.MovingWindowRateLimiter,
    "fixed-window": strategies.FixedWindowRateLimiter,
    "sliding-window-counter": strategies.SlidingWindowCounterRateLimiter,
}
_ASYNC: dict[str, type[limits_aio.strategies.RateLimiter]] = {
    "moving-window": limits_aio.strategies.MovingWindowRateLimiter,
    "fixed-window": limits_aio.strategies.FixedWindowRateLimiter,
    "sliding-window-counter": limits_aio.strategies.SlidingWindowCounterRateLimiter,
}


class RequestLimiter:
    """Counts each account's requests; `check` raises RateLimitedError over a limit."""

    def __init__(self, settings: LimitsSettings, *, redis_url: str = "") -> None:
        self._limits = (
            _Limit(RateLimitItemPerSecond(settings.api_burst, 1, namespace="smsgate-burst"), 1),
            _Limit(
                RateLimitItemPerSecond(
                    settings.api_rate * settings.api_window,
                    settings.api_window,
                    namespace="smsgate-rate",
                ),
                settings.api_window,
            ),
        )
        self._hit: Callable[[RateLimitItem, str], Awaitable[bool]]
        self._stats: Callable[[RateLimitItem, str], Awaitable[WindowStats]]
        self._redis_failing = False
        self._redis: limits_aio.storage.RedisStorage | None = None
        if redis_url:
            self._redis = limits_aio.storage.RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix="smsgate",
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
            shared = _ASYNC[settings.strategy](self._redis)
            self._hit, self._stats = shared.hit, shared.get_window_stats
            self.storage = "redis"
        else:
            local = _SYNC[settings.strategy](storage.MemoryStorage())

            async def hit(item: RateLimitItem, key: str) -> bool:
                return local.hit(item, key)

            async def stats(item: RateLimitItem, key: str) -> WindowStats:
                return local.get_window_stats(item, key)

            self._hit, self._stats = hit, stats
            self.storage = "memory"

    async def aclose(self) -> None:
        """Close the connections to Redis, if any (in-process storage needs nothing)."""
        if self._redis is not None:
            # The redis-py client behind `limits`' storage; `limits` has no close of its own.
            client = getattr(self._redis.bridge, "storage", None)
            if client is not None:
                await client.aclose()

    async def check(self, account_id: str) -> None:
        """Count one request of `account_id`; RateLimitedError if it is one too many."""
        for limit in self._limits:
            try:
                allowed = await self._hit(limit.item, account_id)
            except (RedisError, OSError) as exc:  # the shared store is down: let it through
                self._on_storage_error(exc)
                return
            if not allowed:
                raise await self._refusal(limit, account_id)
        if self._redis_failing:
            log.warning("the rate limit store answers again")
            self._redis_failing = False

    async def _refusal(self, limit: _Limit, account_id: str) -> RateLimitedError:
        stats = await self._stats(limit.item, account_id)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        amount = limit.item.amount
        return RateLimitedError(
            f"This account made more than {amount} requests in {limit.window} s. "
            f"Wait {reset} s (Retry-After) and slow down, or ask for a higher limit.",
            headers={
                "Retry-After": str(reset),
                "RateLimit-Limit": str(amount),
                "RateLimit-Remaining": str(max(0, stats.remaining)),
                "RateLimit-Reset": str(reset),
            },
        )

    def _on_storage_error(self, exc: Exception) -> None:
        if not self._redis_failing:
            log.warning("the rate limit store failed; requests pass unlimited: %s", exc)
            self._redis_failing = True


def build_limiter(settings: LimitsSettings, *, redis_url: str) -> RequestLimiter | None:
    """The limiter for these settings, or None when `api_rate` is 0 (no limit)."""
    if settings.api_rate == 0:
        return None
    return RequestLimiter(settings, redis_url=redis_url)

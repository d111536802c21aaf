"""A small TTL cache for the request path, with one load in flight per key.

When a hot entry expires, every request that arrives before the reload finishes would
otherwise read the database itself (64 concurrent requests: 64 reads, and a latency spike
each second). Here the first miss starts the load and the rest await the same future.
Failures are not cached: each waiter gets the exception, and the next request retries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(
        self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: dict[K, tuple[V, float]] = {}
        self._loading: dict[K, asyncio.Future[tuple[V, float]]] = {}
        self._max_entries = max_entries
        self._clock = clock

    async def get(self, key: K, load: Callable[[], Awaitable[tuple[V, float]]]) -> V:
        """The cached value, or the result of `load()`, which returns (value, seconds to keep)."""
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._loading[key] = pending
            try:
                value, ttl = await load()
            except BaseException as exc:
                pending.set_exception(exc)
                # Mark retrieved, so a miss no one else awaited does not warn at exit.
                pending.exception()
                raise
            finally:
                del self._loading[key]
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (value, self._clock() + ttl)
            pending.set_result((value, ttl))
            return value
        value, _ = await asyncio.shield(pending)
        return value

    def invalidate(self, key: K) -> None:
        self._entries.pop(key, None)

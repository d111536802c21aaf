"""Which numbers an account may send from, remembered briefly to keep reads off the hot path."""

from __future__ import annotations

import time
from collections.abc import Callable

from smsgate.cache import TTLCache
from smsgate.store import numbers as number_store
from smsgate.store.database import Database


class NumberOwnership:
    def __init__(
        self, database: Database, *, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._ttl = ttl
        self._cache: TTLCache[str, frozenset[str]] = TTLCache(clock=clock)

    async def owns(self, account_id: str, e164: str) -> bool:
        if e164 in await self._cache.get(account_id, lambda: self._load(account_id)):
            return True
        # A number added a moment ago must work at once: a miss is read fresh.
        self._cache.invalidate(account_id)
        return e164 in await self._cache.get(account_id, lambda: self._load(account_id))

    async def _load(self, account_id: str) -> tuple[frozenset[str], float]:
        owned = await self._database.read(
            lambda c: frozenset(n.e164 for n in number_store.list_numbers(c, account_id))  # type: ignore[arg-type]
        )
        return owned, self._ttl

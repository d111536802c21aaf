"""Which numbers an account may send from (and which of them are marked for marketing),
remembered briefly to keep reads off the hot path."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from smsgate.cache import TTLCache
from smsgate.domain.ids import AccountId
from smsgate.store import numbers as number_store
from smsgate.store.database import Database


class NumberOwnership:
    def __init__(
        self, database: Database, *, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._ttl = ttl
        # account → {number: is it marked for marketing}
        self._cache: TTLCache[str, Mapping[str, bool]] = TTLCache(clock=clock)

    async def owns(self, account_id: str, e164: str) -> bool:
        if e164 in await self._cache.get(account_id, lambda: self._load(account_id)):
            return True
        # A number added a moment ago must work at once: a miss is read fresh.
        self._cache.invalidate(account_id)
        return e164 in await self._cache.get(account_id, lambda: self._load(account_id))

    async def is_marketing(self, account_id: str, e164: str) -> bool:
        """Whether the account's number `e164` is marked for marketing (False if not theirs)."""
        owned = await self._cache.get(account_id, lambda: self._load(account_id))
        return owned.get(e164, False)

    async def _load(self, account_id: str) -> tuple[Mapping[str, bool], float]:
        owned = await self._database.read(
            lambda c: {
                n.e164: n.marketing for n in number_store.list_numbers(c, AccountId(account_id))
            }
        )
        return owned, self._ttl

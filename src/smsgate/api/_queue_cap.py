"""How many messages an account may have waiting (queued or being sent) at once.

Counting the account's waiting rows on every send would put a query on the hot path, so
the count is read at most once a second per account (`ttl`) and the messages this process
accepts in between are added to it. The count comes from the store, so it is right after
a restart; between reads it can run over by what other processes accepted in that second.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from smsgate.cache import TTLCache
from smsgate.domain.status import MessageStatus
from smsgate.errors import QueueFullError
from smsgate.store.database import Database
from smsgate.store.schema import messages

WAITING = (MessageStatus.QUEUED, MessageStatus.SENDING)


class _Depth:
    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


def count_waiting(connection: Connection, account_id: str) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                messages.c.status.in_(WAITING), messages.c.account_id == account_id
            )
        ).scalar_one()
    )


class QueueCap:
    def __init__(self, database: Database, cap: int, *, ttl: float = 1.0) -> None:
        self._database = database
        self._cap = cap
        self._ttl = ttl
        self._depths: TTLCache[str, _Depth] = TTLCache()

    async def reserve(self, account_id: str) -> None:
        """Count one more waiting message; QueueFullError if the account has `cap` already."""
        if not self._cap:
            return

        async def load() -> tuple[_Depth, float]:
            count = await self._database.read(lambda c: count_waiting(c, account_id))
            return _Depth(count), self._ttl

        depth = await self._depths.get(account_id, load)
        if depth.count >= self._cap:
            raise QueueFullError(
                f"This account has {depth.count} messages waiting to be sent, its limit is "
                f"{self._cap}. Wait for some to be sent and try again."
            )
        depth.count += 1

"""How times are written: for users (API resources, event bodies, exports) and, on SQLite,
for the store.

Formatting a datetime is dearer than it looks (`datetime.isoformat` goes through a
printf-style formatter: about a microsecond), and the writer formats the same few instants
over and over: one `now` stamps a message's created_at, updated_at, next attempt and
event, and every row a claim touches. Instants in UTC are formatted once and kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def iso_timestamp(value: datetime) -> str:
    """`2026-11-29T11:00:11.504000Z`: UTC, to the microsecond."""
    return utc_isoformat(value).replace("+00:00", "Z")


def utc_isoformat(value: datetime) -> str:
    """`2026-11-29T11:00:11.504000+00:00`: `value.isoformat(timespec="microseconds")`."""
    if value.tzinfo is UTC:
        return _utc_isoformat(value)
    # Equal instants in other zones would share a cache entry; format those each time.
    return value.isoformat(timespec="microseconds")


# A burst's batch holds a few hundred distinct instants at most.
@lru_cache(maxsize=4096)
def _utc_isoformat(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")

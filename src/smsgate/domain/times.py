"""How times are written for users: API resources, event bodies, exports."""

from __future__ import annotations

from datetime import datetime


def iso_timestamp(value: datetime) -> str:
    """`2026-11-29T11:00:11.504000Z`: UTC, to the microsecond."""
    return value.isoformat(timespec="microseconds").replace("+00:00", "Z")

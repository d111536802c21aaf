"""Appending to messages' audit trails: one row per status change, in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from smsgate.store.prepared import Prepared
from smsgate.store.schema import message_events

_APPEND = Prepared(message_events.insert())


def append_events(connection: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Append `events`, each a mapping of every column but `seq` (message_id, status, at,
    attempt, error_code, detail)."""
    _APPEND.executemany(connection, events)

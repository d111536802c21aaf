"""Work a transaction hands to this node, to start the moment it commits.

A status change writes its webhook into the outbox, and the webhook sender would then
claim it in a transaction of its own: a select and a lease update per webhook, and one
more trip through the writer before the POST. When nothing earlier of the same message is
still on its way to the same endpoint, the writer instead inserts the row already leased
to this node and hands the delivery to the sender with the batch's outcomes. The row is
the same either way, so a node that dies before sending it loses nothing: the lease runs
out and any node claims it again.

What a job hands off reaches the node only if its transaction commits: a savepoint or a
batch that rolls back takes its hand-offs with it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

_HANDED = "smsgate.handed"
_WEBHOOK_LEASE = "smsgate.webhook_handoff_lease"


def enable_webhook_handoff(connection: Connection, lease: timedelta) -> None:
    """Let transactions on `connection` hand webhooks to this node's sender, leased for
    `lease`. Only for a node whose sender runs: a handed webhook waits for nothing else."""
    connection.info[_WEBHOOK_LEASE] = lease


def webhook_handoff_lease(connection: Connection) -> timedelta | None:
    """The lease a handed webhook is inserted under, or None: no one here takes them."""
    lease: timedelta | None = connection.info.get(_WEBHOOK_LEASE)
    return lease


def hand_off(connection: Connection, item: Any) -> None:
    connection.info.setdefault(_HANDED, []).append(item)


def handed_count(connection: Connection) -> int:
    """A mark to `drop_handed_since` when what follows it rolls back."""
    return len(connection.info.get(_HANDED, ()))


def drop_handed_since(connection: Connection, mark: int) -> None:
    del connection.info.get(_HANDED, [])[mark:]


def take_handed(connection: Connection) -> list[Any]:
    """What was handed off since the last take (call it once the transaction committed)."""
    handed: list[Any] = connection.info.pop(_HANDED, [])
    return handed

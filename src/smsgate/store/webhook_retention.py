"""Finished webhook deliveries are kept for a while, then deleted with their attempts.

Three rows a message go into the outbox and stay there once delivered, so without this the
table grows as long as the gateway runs. A delivery is finished when it was delivered, or
failed, or its endpoint was disabled; one still pending or on its way is never deleted,
however old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from smsgate.domain.ids import made_before
from smsgate.store.schema import webhook_attempts, webhook_deliveries
from smsgate.store.webhooks import UNFINISHED


@dataclass(frozen=True, slots=True)
class PruneWebhookDeliveries:
    """Delete up to `limit` finished deliveries queued before `before`, oldest first, with
    their attempts. Returns how many deliveries went."""

    before: datetime
    limit: int

    def run(self, connection: Connection) -> int:
        d = webhook_deliveries
        # Delivery ids begin with the millisecond they were made, so the old ones are a
        # range of the id index, walked from its start; created_at decides.
        ids = list(
            connection.execute(
                select(d.c.id)
                .where(
                    d.c.id < made_before("WH", self.before),
                    d.c.created_at < self.before,
                    d.c.state.not_in(UNFINISHED),
                )
                .order_by(d.c.id)
                .limit(self.limit)
            ).scalars()
        )
        if ids:
            connection.execute(
                delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids))
            )
            connection.execute(delete(d).where(d.c.id.in_(ids)))
        return len(ids)

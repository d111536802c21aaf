"""Deleting finished webhook deliveries once they are older than `webhook.retention_days`.

Once an hour (and at start), in batches through the writer, so that a large first clean-up
shares the writer with the traffic instead of holding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from smsgate.errors import StoreError
from smsgate.store.webhook_retention import PruneWebhookDeliveries
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)
PRUNE_EVERY = 3600.0
BATCH = 500


class WebhookRetention:
    def __init__(
        self,
        writer: GroupCommitWriter,
        keep_for: timedelta,
        *,
        every: float = PRUNE_EVERY,
        batch: int = BATCH,
    ) -> None:
        self._writer = writer
        self._keep_for = keep_for
        self._every = every
        self._batch = batch
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Prune now and then every `every` seconds, until `stop()`."""
        while not self._stopping.is_set():
            try:
                pruned = await self.prune(datetime.now(UTC))
            except StoreError:
                log.exception("could not delete old webhook deliveries; trying again later")
            else:
                if pruned:
                    log.info(
                        "deleted %d finished webhook deliveries older than %s",
                        pruned,
                        self._keep_for,
                    )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._every):
                    await self._stopping.wait()

    async def prune(self, now: datetime) -> int:
        """Delete every finished delivery queued more than `keep_for` before `now`, a batch
        at a time; returns how many."""
        before = now - self._keep_for
        total = 0
        while True:
            pruned = await self._writer.submit(PruneWebhookDeliveries(before, self._batch))
            total += pruned
            if pruned < self._batch or self._stopping.is_set():
                return total

    def stop(self) -> None:
        self._stopping.set()

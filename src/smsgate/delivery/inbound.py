"""Messages from handsets: the `on_inbound` callback of every connector, and the sweep that
delivers messages whose missing parts never came.

Each PDU is handed to the writer (see `_inbound_jobs`): its part, or the whole message it
completes, commits before the connector answers the deliver_sm, so what the carrier was
told we took survives a restart. A message to a number no account owns is logged and
counted, then acknowledged, as carriers expect.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from smsgate.delivery._inbound_jobs import (
    FlushStaleParts,
    InboundOutcome,
    InboundPolicy,
    ReceivePart,
)
from smsgate.errors import StoreError
from smsgate.smpp.addresses import e164
from smsgate.smpp.concat import part_of
from smsgate.smpp.pdu import DataSm, DeliverSm
from smsgate.store.writer import GroupCommitWriter

__all__ = ["FlushStaleParts", "InboundOutcome", "InboundPolicy", "InboundSink", "ReceivePart"]
log = logging.getLogger(__name__)
# Bounds on how often the sweep looks for stale parts, seconds.
MIN_SWEEP_INTERVAL = 0.05
MAX_SWEEP_INTERVAL = 10.0


class InboundSink:
    """Takes inbound PDUs from connectors; `run()` sweeps up messages that stay partial."""

    def __init__(
        self,
        writer: GroupCommitWriter,
        policy: InboundPolicy,
        *,
        test_connectors: frozenset[str],
        on_reply: Callable[[], None] = lambda: None,
    ) -> None:
        self._writer = writer
        self._policy = policy
        self._test_connectors = test_connectors
        self._on_reply = on_reply
        self._stop = asyncio.Event()
        self.results: Counter[str] = Counter()

    async def __call__(self, connector: str, pdu: DeliverSm | DataSm) -> None:
        short_message = pdu.short_message if isinstance(pdu, DeliverSm) else b""
        outcome = await self._writer.submit(
            ReceivePart(
                self._policy,
                connector,
                sender=e164(pdu.source_addr, pdu.source_addr_ton),
                recipient=e164(pdu.destination_addr, pdu.dest_addr_ton),
                part=part_of(short_message, pdu.esm_class, pdu.tlvs),
                data_coding=pdu.data_coding,
                is_test=connector in self._test_connectors,
                at=datetime.now(UTC),
            )
        )
        self._count(outcome)

    def _count(self, outcome: InboundOutcome) -> None:
        self.results[outcome.result] += 1
        if outcome.reply is not None:
            self._on_reply()

    async def run(self) -> None:
        """Every so often, deliver what arrived of messages past the reassembly timeout."""
        interval = min(
            max(self._policy.reassembly_timeout / 4, MIN_SWEEP_INTERVAL), MAX_SWEEP_INTERVAL
        )
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(interval):
                    await self._stop.wait()
                return
            except TimeoutError:
                pass
            try:
                flushed = await self._writer.submit(
                    FlushStaleParts(self._policy, self._test_connectors, datetime.now(UTC))
                )
            except StoreError:
                log.exception("could not deliver stale inbound parts; trying again later")
                continue
            for outcome in flushed:
                self._count(outcome)

    def stop(self) -> None:
        self._stop.set()

"""Hands carrier delivery receipts to the store, where they move their message on."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

from smsgate.smpp.receipt import DeliveryReceipt
from smsgate.store.receipts import ApplyReceipt
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)


class ReceiptSink:
    """The `on_receipt` callback of every connector.

    A receipt for an id we never recorded is logged and counted, not an error: carriers
    send receipts for traffic of other systems on a shared bind, and late ones for
    messages whose part ids were reused.
    """

    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer
        self.results: Counter[str] = Counter()

    async def __call__(self, connector: str, receipt: DeliveryReceipt) -> None:
        # receipt_from_pdu already turned a message_state TLV into its stat word.
        stat = receipt.stat or "UNKNOWN"
        result = await self._writer.submit(
            ApplyReceipt(connector, receipt.message_id, stat, receipt.err, datetime.now(UTC))
        )
        self.results[result] += 1
        if result == "unknown":
            log.info(
                "receipt from %r for unknown message id %r (stat %s) ignored",
                connector,
                receipt.message_id,
                stat,
            )

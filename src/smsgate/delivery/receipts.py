"""Hands carrier delivery receipts to the store, where they move their message on."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

from smsgate.domain.receipt_ids import IdFormat
from smsgate.smpp.receipt import DeliveryReceipt
from smsgate.store.receipts import EARLY_RECEIPT_TTL, ApplyReceipt, PurgeEarlyReceipts
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)


class ReceiptSink:
    """The `on_receipt` callback of every connector.

    `id_formats` says, per connector name, how its receipts write submit_sm_resp ids
    ("auto" for a name not in it). A receipt for an id not recorded yet is kept for its
    segment ("kept"); one still unmatched after EARLY_RECEIPT_TTL is dropped when a newer
    one is kept, and logged and counted as "unknown", not raised as an error: carriers send
    receipts for traffic of other systems on a shared bind, and late ones for messages
    whose part ids were reused.
    """

    def __init__(
        self, writer: GroupCommitWriter, id_formats: Mapping[str, IdFormat] | None = None
    ) -> None:
        self._writer = writer
        self._id_formats = dict(id_formats or {})
        self.results: Counter[str] = Counter()

    async def __call__(self, connector: str, receipt: DeliveryReceipt) -> None:
        # receipt_from_pdu already turned a message_state TLV into its stat word.
        stat = receipt.stat or "UNKNOWN"
        now = datetime.now(UTC)
        id_format = self._id_formats.get(connector, "auto")
        result = await self._writer.submit(
            ApplyReceipt(connector, receipt.message_id, stat, receipt.err, now, id_format)
        )
        self.results[result] += 1
        if result == "unknown":
            self._log_unknown(connector, receipt.message_id, stat)
        elif result == "kept":
            log.debug(
                "receipt from %r for message id %r (stat %s) kept until its message is recorded",
                connector,
                receipt.message_id,
                stat,
            )
            # Only keeping adds rows, so purging here bounds the table.
            for old in await self._writer.submit(PurgeEarlyReceipts(now - EARLY_RECEIPT_TTL)):
                self.results["unknown"] += 1
                self._log_unknown(old.connector, old.carrier_id, old.stat)

    @staticmethod
    def _log_unknown(connector: str, message_id: str, stat: str) -> None:
        log.info(
            "receipt from %r for unknown message id %r (stat %s) ignored",
            connector,
            message_id,
            stat,
        )

"""Messages from handsets: joined from their parts and stored for the number's account.

Parts are joined in memory; a message whose parts straddle a restart of the gateway is
lost with it (the two-way messaging issue makes reassembly durable). A message to a
number no account owns is logged and counted, then acknowledged, as carriers expect.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from smsgate.domain.ids import AccountId, new_message_id
from smsgate.domain.status import Direction, MessageStatus
from smsgate.smpp.addresses import e164
from smsgate.smpp.concat import Reassembler, decode_user_data, part_of
from smsgate.smpp.pdu import DataSm, DeliverSm
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, MessageRecord
from smsgate.store.schema import numbers
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)


class InboundSink:
    """The `on_inbound` callback of every connector."""

    def __init__(
        self, writer: GroupCommitWriter, database: Database, *, test_connectors: frozenset[str]
    ) -> None:
        self._writer = writer
        self._database = database
        self._test_connectors = test_connectors
        self._parts: Reassembler[None] = Reassembler()
        self.results: Counter[str] = Counter()

    async def __call__(self, connector: str, pdu: DeliverSm | DataSm) -> None:
        sender = e164(pdu.source_addr, pdu.source_addr_ton)
        recipient = e164(pdu.destination_addr, pdu.dest_addr_ton)
        short_message = pdu.short_message if isinstance(pdu, DeliverSm) else b""
        part = part_of(short_message, pdu.esm_class, pdu.tlvs)
        joined = self._parts.add((connector, sender, recipient), part, None)
        if joined is None:
            self.results["part"] += 1
            return
        owner = await self._database.read(lambda c: _owner(c, recipient))
        if owner is None:
            self.results["unknown number"] += 1
            log.info("inbound message for %s, which no account owns, ignored", recipient)
            return
        text = decode_user_data(b"".join(payload for payload, _ in joined), pdu.data_coding)
        now = datetime.now(UTC)
        record = MessageRecord(
            id=new_message_id(),
            account_id=owner,
            direction=Direction.INBOUND,
            to=recipient,
            from_=sender,
            body=text,
            status=MessageStatus.RECEIVED,
            encoding="UCS-2" if pdu.data_coding == 8 else "GSM-7",
            segments=len(joined),
            price="0",
            price_unit="USD",
            country="ZZ",
            is_test=connector in self._test_connectors,
            status_callback=None,
            validity_period=0,
            expires_at=now,
            attempt=0,
            error_code=None,
            error_message=None,
            created_at=now,
            updated_at=now,
        )
        await self._writer.submit(CreateMessage(record, next_attempt_at=None))
        self.results["stored"] += 1


def _owner(connection: Connection, e164_number: str) -> AccountId | None:
    found = connection.execute(
        select(numbers.c.account_id).where(numbers.c.e164 == e164_number)
    ).scalar()
    return None if found is None else AccountId(found)

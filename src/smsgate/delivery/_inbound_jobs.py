"""What happens to a message from a handset, in one transaction of the writer.

A part is kept until its message is whole (or the reassembly timeout passes). The whole
message is then stored for the account that owns the number it was sent to, its
`message.received` webhook is queued, and a keyword is acted on: the opt-out or opt-in is
recorded (and audited) and the number's reply is queued as an ordinary outbound message.
All of it commits together, before the deliver_sm is answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection

from smsgate.domain.ids import new_message_id
from smsgate.domain.keywords import Keyword, match_keyword
from smsgate.domain.pricing import PriceTable
from smsgate.domain.status import Direction, MessageStatus
from smsgate.domain.submission import plan_message
from smsgate.errors import ValidationError
from smsgate.smpp.concat import Part, decode_user_data, join_parts
from smsgate.store import inbound_parts, opt_outs
from smsgate.store.messages import CreateMessage, MessageRecord
from smsgate.store.numbers import Number, find_number
from smsgate.store.webhooks import enqueue_received_webhook

log = logging.getLogger(__name__)
# Stale groups flushed per transaction.
FLUSH_BATCH = 100


@dataclass(frozen=True, slots=True)
class InboundPolicy:
    prices: PriceTable
    opt_out_scope: Literal["number", "account"]
    reply_validity_period: int
    reassembly_timeout: float


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    result: Literal["stored", "part", "duplicate part", "unknown number"]
    message: MessageRecord | None = None
    reply: MessageRecord | None = None


@dataclass(frozen=True, slots=True)
class ReceivePart:
    """One deliver_sm/data_sm that is not a receipt."""

    policy: InboundPolicy
    connector: str
    sender: str
    recipient: str
    part: Part
    data_coding: int
    is_test: bool
    at: datetime

    def run(self, connection: Connection) -> InboundOutcome:
        part = self.part
        if part.total == 1 or part.reference is None:
            return _deliver(
                connection,
                self.policy,
                sender=self.sender,
                recipient=self.recipient,
                payload=part.payload,
                data_coding=self.data_coding,
                segments=1,
                missing=(),
                is_test=self.is_test,
                at=self.at,
            )
        group = inbound_parts.PartGroup(
            self.connector, self.sender, self.recipient, part.reference, part.total
        )
        kept = inbound_parts.add_part(
            connection,
            group,
            seqnum=part.seqnum,
            data_coding=self.data_coding,
            payload=part.payload,
            at=self.at,
        )
        if not kept:
            return InboundOutcome("duplicate part")
        if inbound_parts.count_parts(connection, group) < part.total:
            return InboundOutcome("part")
        return _deliver_group(connection, self.policy, group, self.is_test, self.at)


@dataclass(frozen=True, slots=True)
class FlushStaleParts:
    """Deliver what arrived of messages whose parts have waited past the timeout (and
    any message whose parts are all in but were left waiting by a race between processes)."""

    policy: InboundPolicy
    test_connectors: frozenset[str]
    now: datetime

    def run(self, connection: Connection) -> list[InboundOutcome]:
        before = self.now - timedelta(seconds=self.policy.reassembly_timeout)
        inbound_parts.forget_delivered(connection, before=before)
        return [
            _deliver_group(
                connection, self.policy, group, group.connector in self.test_connectors, self.now
            )
            for group in inbound_parts.stale_groups(connection, before=before, limit=FLUSH_BATCH)
        ]


def _deliver_group(
    connection: Connection,
    policy: InboundPolicy,
    group: inbound_parts.PartGroup,
    is_test: bool,
    at: datetime,
) -> InboundOutcome:
    parts = inbound_parts.take_parts(connection, group, at=at)
    payload, missing = join_parts({p.seqnum: p.payload for p in parts}, group.total)
    return _deliver(
        connection,
        policy,
        sender=group.sender,
        recipient=group.recipient,
        payload=payload,
        data_coding=parts[0].data_coding,
        segments=group.total,
        missing=missing,
        is_test=is_test,
        at=at,
    )


def _deliver(
    connection: Connection,
    policy: InboundPolicy,
    *,
    sender: str,
    recipient: str,
    payload: bytes,
    data_coding: int,
    segments: int,
    missing: tuple[int, ...],
    is_test: bool,
    at: datetime,
) -> InboundOutcome:
    number = find_number(connection, recipient)
    if number is None:
        log.info("inbound message for %s, which no account owns, ignored", recipient)
        return InboundOutcome("unknown number")
    text = decode_user_data(payload, data_coding)
    keyword = None if missing else match_keyword(text)
    partial_note = None
    if missing:
        arrived = [n for n in range(1, segments + 1) if n not in missing]
        partial_note = (
            f"Only part(s) {', '.join(map(str, arrived))} of {segments} arrived within "
            f"{policy.reassembly_timeout:g} s; the body is what arrived."
        )
    message = MessageRecord(
        id=new_message_id(),
        account_id=number.account_id,
        direction=Direction.INBOUND,
        to=recipient,
        from_=sender,
        body=text,
        status=MessageStatus.RECEIVED,
        encoding="UCS-2" if data_coding == 8 else "GSM-7",
        segments=segments,
        price="0",
        price_unit="USD",
        country="ZZ",
        is_test=is_test,
        status_callback=None,
        validity_period=0,
        expires_at=at,
        attempt=0,
        error_code=None,
        error_message=partial_note,
        created_at=at,
        updated_at=at,
        keyword=keyword.value if keyword else None,
        partial=bool(missing),
    )
    _create(connection, CreateMessage(message, next_attempt_at=None))
    if number.inbound_url:
        enqueue_received_webhook(connection, message, number.inbound_url)
    reply = None
    if keyword is not None:
        _record_consent(connection, policy, number, sender, keyword, at)
        reply = _reply(connection, policy, number, sender, keyword, is_test, at)
    return InboundOutcome("stored", message, reply)


def _record_consent(
    connection: Connection,
    policy: InboundPolicy,
    number: Number,
    sender: str,
    keyword: Keyword,
    at: datetime,
) -> None:
    account_wide = policy.opt_out_scope == "account"
    if keyword is Keyword.STOP:
        scope = None if account_wide else number.e164
        opt_outs.opt_out(connection, number.account_id, sender, scope, source="keyword", at=at)
    elif keyword is Keyword.START:
        # START to a number lifts what keeps it from texting them: its own opt-out and an
        # account-wide one (with account scope, every opt-out of theirs in the account).
        lifted: list[str | None] = [number.e164, None]
        if account_wide:
            found, _ = opt_outs.list_opt_outs(connection, number.account_id, phone=sender)
            lifted += [entry.number for entry in found]
        opt_outs.opt_in(connection, number.account_id, sender, lifted, source="keyword", at=at)


def _reply(
    connection: Connection,
    policy: InboundPolicy,
    number: Number,
    sender: str,
    keyword: Keyword,
    is_test: bool,
    at: datetime,
) -> MessageRecord | None:
    """Queue the number's answer to `keyword`, as an outbound message like any other."""
    try:
        plan = plan_message(
            to=sender,
            from_=number.e164,
            body=number.reply(keyword),
            validity_period=policy.reply_validity_period,
            default_validity_period=policy.reply_validity_period,
            smart_encoding=True,
            prices=policy.prices,
        )
    except ValidationError as exc:
        log.warning("no %s reply to %s from %s: %s", keyword, sender, number.e164, exc)
        return None
    reply = MessageRecord(
        id=new_message_id(),
        account_id=number.account_id,
        direction=Direction.OUTBOUND_API,
        to=plan.destination.e164,
        from_=number.e164,
        body=plan.encoded.text,
        status=MessageStatus.QUEUED,
        encoding=plan.encoded.encoding,
        segments=len(plan.encoded.segments),
        price=str(plan.price),
        price_unit=plan.price_unit,
        country=plan.destination.country,
        is_test=is_test,
        status_callback=None,
        validity_period=plan.validity_period,
        expires_at=at + timedelta(seconds=plan.validity_period),
        attempt=0,
        error_code=None,
        error_message=None,
        created_at=at,
        updated_at=at,
    )
    _create(connection, CreateMessage(reply, next_attempt_at=at))
    return reply


def _create(connection: Connection, job: CreateMessage) -> None:
    (outcome,) = CreateMessage.run_batch(connection, [job])
    if isinstance(outcome, BaseException):
        raise outcome

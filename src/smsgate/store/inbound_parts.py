"""Parts of concatenated inbound messages, held in the store until the message is whole.

A part is committed before its deliver_sm is answered, so the carrier never resends one
we lost and a restart between parts keeps every part that was acknowledged. Once its
message is delivered a part stays behind as a marker (its payload emptied) for as long as
the reassembly timeout, so a part the carrier sends again (its deliver_sm_resp was lost)
is recognised instead of starting a new, never-completed message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.exc import IntegrityError

from smsgate.store.schema import inbound_parts


@dataclass(frozen=True, slots=True)
class PartGroup:
    """The parts of one message: same link, same sender and recipient, same reference."""

    connector: str
    sender: str
    recipient: str
    reference: int
    total: int


@dataclass(frozen=True, slots=True)
class StoredPart:
    seqnum: int
    data_coding: int
    payload: bytes
    received_at: datetime


def _of(group: PartGroup) -> list[object]:
    c = inbound_parts.c
    return [
        c.connector == group.connector,
        c.sender == group.sender,
        c.recipient == group.recipient,
        c.reference == group.reference,
        c.total == group.total,
    ]


def add_part(
    connection: Connection,
    group: PartGroup,
    *,
    seqnum: int,
    data_coding: int,
    payload: bytes,
    at: datetime,
) -> bool:
    """Keep one part. Returns False when that part is already kept (a resent PDU)."""
    c = inbound_parts.c
    duplicate = connection.execute(
        select(c.seq).where(*_of(group), c.seqnum == seqnum)  # type: ignore[arg-type]
    ).first()
    if duplicate is not None:
        return False
    try:
        with connection.begin_nested():
            connection.execute(
                inbound_parts.insert().values(
                    connector=group.connector,
                    sender=group.sender,
                    recipient=group.recipient,
                    reference=group.reference,
                    total=group.total,
                    seqnum=seqnum,
                    data_coding=data_coding,
                    payload=payload,
                    received_at=at,
                )
            )
    except IntegrityError:  # the same part, kept by another process a moment ago
        return False
    return True


def count_parts(connection: Connection, group: PartGroup) -> int:
    """How many parts of the group are waiting (not yet delivered)."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(inbound_parts)
            .where(*_of(group), inbound_parts.c.delivered_at.is_(None))  # type: ignore[arg-type]
        ).scalar_one()
    )


def take_parts(connection: Connection, group: PartGroup, *, at: datetime) -> list[StoredPart]:
    """The group's waiting parts in part order, marked delivered at `at` (in the caller's
    transaction)."""
    c = inbound_parts.c
    waiting = [*_of(group), c.delivered_at.is_(None)]
    rows = connection.execute(
        select(c.seqnum, c.data_coding, c.payload, c.received_at)
        .where(*waiting)  # type: ignore[arg-type]
        .order_by(c.seqnum)
        .with_for_update()
    ).all()
    connection.execute(
        inbound_parts.update().where(*waiting).values(delivered_at=at, payload=b"")  # type: ignore[arg-type]
    )
    return [StoredPart(r.seqnum, r.data_coding, bytes(r.payload), r.received_at) for r in rows]


def stale_groups(connection: Connection, *, before: datetime, limit: int) -> list[PartGroup]:
    """Waiting groups whose first part arrived before `before`, oldest first, and groups
    that are whole but waiting (two processes each took one of the last parts at the same
    time, and each saw the other's as not yet there)."""
    c = inbound_parts.c
    first = func.min(c.received_at)
    rows = connection.execute(
        select(c.connector, c.sender, c.recipient, c.reference, c.total)
        .where(c.delivered_at.is_(None))
        .group_by(c.connector, c.sender, c.recipient, c.reference, c.total)
        .having(or_(first < before, func.count() >= c.total))
        .order_by(first)
        .limit(limit)
    ).all()
    return [PartGroup(r.connector, r.sender, r.recipient, r.reference, r.total) for r in rows]


def forget_delivered(connection: Connection, *, before: datetime) -> int:
    """Drop the markers of parts delivered before `before`; returns how many."""
    c = inbound_parts.c
    result = connection.execute(inbound_parts.delete().where(c.delivered_at < before))
    return int(result.rowcount)

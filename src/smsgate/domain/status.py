"""The message lifecycle.

    accepted → scheduled → queued → sending → sent → delivered | undelivered | failed
       └───────────┴──────────┴→ canceled (before it leaves us)
    inbound: received

`sending → queued` is a retry after an attempt that definitely failed; `sending → sending`
is a new attempt after a lease expired. Final statuses never change again.
"""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    RECEIVED = "received"


class Direction(StrEnum):
    OUTBOUND_API = "outbound-api"
    INBOUND = "inbound"


FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
    }
)

_S = MessageStatus
ALLOWED: dict[MessageStatus, frozenset[MessageStatus]] = {
    _S.ACCEPTED: frozenset({_S.SCHEDULED, _S.QUEUED, _S.FAILED, _S.CANCELED}),
    _S.SCHEDULED: frozenset({_S.QUEUED, _S.CANCELED, _S.FAILED}),
    _S.QUEUED: frozenset({_S.SENDING, _S.CANCELED, _S.FAILED}),
    _S.SENDING: frozenset(
        {_S.SENDING, _S.QUEUED, _S.SENT, _S.FAILED, _S.DELIVERED, _S.UNDELIVERED}
    ),
    _S.SENT: frozenset({_S.DELIVERED, _S.UNDELIVERED, _S.FAILED}),
}


def can_transition(current: MessageStatus, new: MessageStatus) -> bool:
    """Whether `current → new` is a legal step (final statuses allow none)."""
    return new in ALLOWED.get(current, frozenset())

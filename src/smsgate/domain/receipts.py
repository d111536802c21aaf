"""What a carrier's delivery receipt means for a message: its new status and error code.

The SMSC reports a final state per segment (SMPP 3.4 §5.2.28 `message_state`, or the `stat`
word of the Appendix B receipt text). Intermediate states (ENROUTE, ACCEPTED) change
nothing. A message of several segments is delivered when every segment is, and
undelivered or failed as soon as one segment is, with that segment's error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smsgate.domain.status import MessageStatus
from smsgate.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    status: MessageStatus
    error_code: ErrorCode | None
    detail: str


# stat word → (status, code, sentence). Keyed by the Appendix B words; message_state TLV
# values are turned into the same words by the SMPP layer.
_FINAL: dict[str, ReceiptOutcome] = {
    "DELIVRD": ReceiptOutcome(MessageStatus.DELIVERED, None, "The handset received the message."),
    "UNDELIV": ReceiptOutcome(
        MessageStatus.UNDELIVERED,
        ErrorCode.UNREACHABLE,
        "The carrier could not deliver the message to the handset.",
    ),
    "EXPIRED": ReceiptOutcome(
        MessageStatus.UNDELIVERED,
        ErrorCode.QUEUE_OVERFLOW,
        "The carrier gave up: the handset was unreachable for the whole validity period.",
    ),
    "REJECTD": ReceiptOutcome(
        MessageStatus.UNDELIVERED,
        ErrorCode.CARRIER_FILTERED,
        "The carrier rejected the message (filtering).",
    ),
    "DELETED": ReceiptOutcome(
        MessageStatus.UNDELIVERED,
        ErrorCode.UNKNOWN_ERROR,
        "The carrier deleted the message before delivery.",
    ),
    "UNKNOWN": ReceiptOutcome(
        MessageStatus.UNDELIVERED,
        ErrorCode.UNKNOWN_ERROR,
        "The carrier does not know what became of the message.",
    ),
}

# Network error codes (the receipt's `err`) that name the reason more precisely.
_UNDELIVERED_BY_ERR: dict[str, tuple[ErrorCode, str]] = {
    "001": (ErrorCode.UNKNOWN_DESTINATION, "The number is not in service."),
    "005": (ErrorCode.UNKNOWN_DESTINATION, "The number is not in service."),
    "006": (ErrorCode.LANDLINE, "The number is a landline and cannot receive texts."),
    "009": (ErrorCode.UNKNOWN_DESTINATION, "The number is not in service."),
    "027": (ErrorCode.UNREACHABLE, "The handset is switched off or out of coverage."),
}


def receipt_outcome(stat: str | None, err: str | None) -> ReceiptOutcome | None:
    """The outcome of one segment's receipt, or None for an intermediate state."""
    outcome = _FINAL.get((stat or "").upper())
    if outcome is None or outcome.status is MessageStatus.DELIVERED:
        return outcome
    precise = _UNDELIVERED_BY_ERR.get((err or "").zfill(3)) if stat == "UNDELIV" else None
    if precise is not None:
        return ReceiptOutcome(outcome.status, precise[0], precise[1])
    return outcome


def aggregate(parts: Iterable[ReceiptOutcome | None]) -> ReceiptOutcome | None:
    """A multipart message's outcome from its segments' (None: still pending)."""
    pending = False
    for outcome in parts:
        if outcome is None:
            pending = True
        elif outcome.status is not MessageStatus.DELIVERED:
            return outcome
    if pending:
        return None
    return _FINAL["DELIVRD"]

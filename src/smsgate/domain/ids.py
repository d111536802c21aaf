"""Resource ids: a two-letter prefix that says what it is, then 32 hex digits.

The first 12 digits are the milliseconds since the epoch and the other 20 are random, so
ids made later sort later (as UUIDv7 does). Every index keyed by an id then grows at its
right edge: a batch of new rows touches a few pages instead of one page per row, which
made the end-to-end benchmark about a sixth faster on SQLite.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import NewType

AccountId = NewType("AccountId", str)
KeyId = NewType("KeyId", str)
MessageId = NewType("MessageId", str)
NumberId = NewType("NumberId", str)


# Ids name things; they are not secrets (every read is also checked against the account).
# 80 random bits a millisecond, from a generator seeded by the OS, are unique enough and,
# unlike os.urandom, cost no system call on the send path. Only `random`'s own generator
# is reseeded in a forked child; this one is too, so that two processes never share a
# sequence.
_generator = random.Random()
_draw = _generator.getrandbits
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_generator.seed)


def _new(prefix: str) -> str:
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{_draw(80):020x}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def made_before(prefix: str, moment: datetime) -> str:
    """A bound below which every `prefix` id made before `moment` sorts (ids made from
    `moment` on sort above it)."""
    return f"{prefix}{(moment - _EPOCH) // timedelta(milliseconds=1):012x}"


def new_account_id() -> AccountId:
    return AccountId(_new("AC"))


def new_key_id() -> KeyId:
    return KeyId(_new("SK"))


def new_message_id() -> MessageId:
    return MessageId(_new("SM"))


def new_number_id() -> NumberId:
    return NumberId(_new("PN"))


WebhookDeliveryId = NewType("WebhookDeliveryId", str)


def new_webhook_delivery_id() -> WebhookDeliveryId:
    return WebhookDeliveryId(_new("WH"))

"""Resource ids: a two-letter prefix that says what it is, then 32 hex digits."""

from __future__ import annotations

import random
from typing import NewType

AccountId = NewType("AccountId", str)
KeyId = NewType("KeyId", str)
MessageId = NewType("MessageId", str)
NumberId = NewType("NumberId", str)


# Ids name things; they are not secrets (every read is also checked against the account).
# A 128-bit draw from a generator seeded by the OS is unique enough and, unlike
# os.urandom, costs no system call on the send path. `random` reseeds after fork.
_draw = random.Random().getrandbits


def _new(prefix: str) -> str:
    return f"{prefix}{_draw(128):032x}"


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

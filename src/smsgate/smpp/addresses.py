"""SMPP addresses and E.164 numbers (SMPP 3.4 §5.2.5: type of number).

An international number travels without its "+" (TON 1); an alphanumeric sender is TON 5.
"""

from __future__ import annotations

from typing import Final

TON_UNKNOWN: Final = 0
TON_INTERNATIONAL: Final = 1
TON_ALPHANUMERIC: Final = 5
# The longest address smsgate keeps: an E.164 number with its "+" (15 digits). SMPP allows
# 21 characters, but nothing longer than this is a number a handset texts from.
MAX_NUMBER_LENGTH: Final = 16

__all__ = [
    "MAX_NUMBER_LENGTH",
    "TON_ALPHANUMERIC",
    "TON_INTERNATIONAL",
    "TON_UNKNOWN",
    "address_of",
    "e164",
]


def e164(address: str, ton: int) -> str:
    """An address as we write numbers: an international one gets its "+"."""
    if ton == TON_INTERNATIONAL and address and not address.startswith("+"):
        return "+" + address
    return address


def address_of(number: str) -> tuple[int, str]:
    """(TON, address) for a number we send: E.164 goes out international without "+"."""
    if number.startswith("+"):
        return TON_INTERNATIONAL, number[1:]
    if number.isdigit():
        return TON_UNKNOWN, number
    return TON_ALPHANUMERIC, number

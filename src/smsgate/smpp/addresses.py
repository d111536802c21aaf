"""SMPP addresses and E.164 numbers (SMPP 3.4 §5.2.5: type of number).

An international number travels without its "+" (TON 1); an alphanumeric sender is TON 5.
"""

from __future__ import annotations

from typing import Final

TON_UNKNOWN: Final = 0
TON_INTERNATIONAL: Final = 1
TON_ALPHANUMERIC: Final = 5

__all__ = ["TON_ALPHANUMERIC", "TON_INTERNATIONAL", "TON_UNKNOWN", "address_of", "e164"]


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

"""Concatenation user data headers (3GPP TS 23.040 §9.2.3.24.1 and .8).

A long message travels as several short_messages, each starting with a UDH and flagged
with UDHI in esm_class (SMPP 3.4 §5.2.12, bit 6):

    05 00 03 ref total seq           8-bit reference (IEI 0x00)
    06 08 04 refhi reflo total seq   16-bit reference (IEI 0x08)

The first octet (UDHL) is the length of the information elements that follow.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from smsgate.smpp.errors import LocalProtocolError, UdhError

__all__ = ["ESM_CLASS_UDHI", "ConcatInfo", "add_concat_udh", "parse_udh"]

ESM_CLASS_UDHI: Final = 0x40
"""esm_class bit: short_message starts with a user data header (SMPP 3.4 §5.2.12)."""

IEI_CONCAT_8BIT: Final = 0x00
IEI_CONCAT_16BIT: Final = 0x08


class ConcatInfo(NamedTuple):
    """One part of a concatenated message.

    Attributes:
        reference: the same for every part of one message (0-255 or 0-65535).
        total: how many parts (1-255).
        seqnum: this part's number, 1-based.
        is_16bit: True if the reference came in a 16-bit element (IEI 0x08).
    """

    reference: int
    total: int
    seqnum: int
    is_16bit: bool = False


def parse_udh(short_message: bytes) -> tuple[ConcatInfo | None, bytes]:
    """Split a UDHI-flagged short_message into its concatenation info and payload.

    Call it only when esm_class has ESM_CLASS_UDHI. Elements other than concatenation
    (ports, national language shifts, ...) are skipped. A concatenation element with
    total 0 or a seqnum outside 1..total is ignored, as 23.040 §9.2.3.24.1 says.

    Returns:
        (ConcatInfo or None, the user data after the header).

    Raises:
        UdhError: the header is empty, or its length octets run past the message.
    """
    if not short_message:
        raise UdhError("short_message is empty but esm_class says it starts with a UDH.")
    end = 1 + short_message[0]
    if end > len(short_message):
        raise UdhError(
            f"The UDH claims {end - 1} octets but the short_message has"
            f" {len(short_message) - 1} after the length octet."
        )
    concat: ConcatInfo | None = None
    pos = 1
    while pos < end:
        if pos + 2 > end:
            raise UdhError("The UDH ends inside an information element header.")
        iei, length = short_message[pos], short_message[pos + 1]
        if pos + 2 + length > end:
            raise UdhError(f"UDH element 0x{iei:02X} claims {length} octets past the header.")
        data = short_message[pos + 2 : pos + 2 + length]
        if iei == IEI_CONCAT_8BIT and length == 3:
            concat = _valid(ConcatInfo(data[0], data[1], data[2], False)) or concat
        elif iei == IEI_CONCAT_16BIT and length == 4:
            concat = _valid(ConcatInfo(data[0] << 8 | data[1], data[2], data[3], True)) or concat
        pos += 2 + length
    return concat, short_message[end:]


def _valid(info: ConcatInfo) -> ConcatInfo | None:
    return info if 1 <= info.seqnum <= info.total else None


def add_concat_udh(
    payload: bytes, ref: int, total: int, seq: int, *, is_16bit: bool | None = None
) -> bytes:
    """Prefix `payload` with a concatenation UDH. Set ESM_CLASS_UDHI on the PDU too.

    Args:
        payload: this part's user data (already encoded and cut to fit).
        ref: the message reference, shared by all parts.
        total: the number of parts, 1-255.
        seq: this part's number, 1..total.
        is_16bit: force the 16-bit (True) or 8-bit (False) element; by default the
            8-bit one is used when `ref` fits in an octet.

    Returns:
        UDH + payload.

    Raises:
        LocalProtocolError: a number is out of range.
    """
    if not 1 <= total <= 255 or not 1 <= seq <= total:
        raise LocalProtocolError(
            f"Concatenation part {seq} of {total} is invalid: total takes 1-255 and seq 1..total."
        )
    wide = ref > 0xFF if is_16bit is None else is_16bit
    if not 0 <= ref <= (0xFFFF if wide else 0xFF):
        raise LocalProtocolError(
            f"Concatenation reference {ref} does not fit the {'16' if wide else '8'}-bit element."
        )
    if wide:
        return bytes((6, IEI_CONCAT_16BIT, 4, ref >> 8, ref & 0xFF, total, seq)) + payload
    return bytes((5, IEI_CONCAT_8BIT, 3, ref, total, seq)) + payload

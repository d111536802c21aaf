"""Cursors for pages of rows ordered by their `seq`: opaque to users, checked on the way in."""

from __future__ import annotations

import base64
import binascii

from smsgate.errors import InvalidParameterError


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("s"):
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterError(
            f"Cursor '{cursor}' is not one this API gave out; pass 'next_cursor' from a "
            "previous page unchanged.",
            field="cursor",
        ) from None

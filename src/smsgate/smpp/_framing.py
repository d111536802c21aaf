"""Cut a TCP byte stream into whole PDUs (SMPP 3.4 §3.2: command_length leads each PDU).

The length is checked as soon as its four octets arrive, before any of the body is
waited for: a peer that announces 4 GiB cannot make us buffer it, and a length below 16
(shorter than the header itself) means we can no longer tell where the next PDU starts.
Both raise FramingError, after which the stream is useless and the session must close.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Final

from smsgate.smpp._wire import HEADER_SIZE
from smsgate.smpp.errors import FramingError

_LENGTH: Final = struct.Struct(">I")
DEFAULT_MAX_PDU_SIZE: Final = 70_000
"""Room for the largest message_payload TLV (65,535 octets) plus mandatory fields."""


class FrameBuffer:
    """Collects bytes with `add_data` and hands out whole PDUs with `next_frame`.

    Args:
        max_pdu_size: the largest command_length accepted, in octets (>= 16).
    """

    def __init__(self, max_pdu_size: int = DEFAULT_MAX_PDU_SIZE) -> None:
        if max_pdu_size < HEADER_SIZE:
            raise ValueError(f"max_pdu_size is {max_pdu_size}; it must be at least 16.")
        self.max_pdu_size = max_pdu_size
        self._buffer = bytearray()
        self._start = 0  # offset of the first octet not yet handed out
        self._failed: FramingError | None = None

    def __len__(self) -> int:
        """Octets received but not yet handed out as a frame."""
        return len(self._buffer) - self._start

    def add_data(self, data: bytes) -> None:
        """Append received bytes. Never raises; problems surface in `next_frame`."""
        self._buffer += data

    def __iter__(self) -> Iterator[bytes]:
        """Yield every whole PDU buffered so far (see `next_frame` for errors)."""
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> bytes | None:
        """Return the next whole PDU, or None until more bytes arrive.

        Raises:
            FramingError: the next command_length is below 16 or above `max_pdu_size`.
                Every later call raises the same error.
        """
        if self._failed is not None:
            raise self._failed
        buffer = self._buffer
        start = self._start
        available = len(buffer) - start
        if available < 4:
            self._compact()
            return None
        (length,) = _LENGTH.unpack_from(buffer, start)
        if length < HEADER_SIZE or length > self.max_pdu_size:
            self._failed = FramingError(
                f"command_length is {length}; it must be 16 to {self.max_pdu_size}."
                " The stream cannot be re-synchronised: close the session."
            )
            raise self._failed
        if available < length:
            self._compact()
            return None
        self._start = start + length
        return bytes(buffer[start : start + length])

    def _compact(self) -> None:
        # Drop handed-out octets only when waiting for more, so a chunk holding many
        # PDUs is sliced by offset instead of being shifted once per PDU.
        if self._start:
            del self._buffer[: self._start]
            self._start = 0

"""Virtual handsets: each number's inbox, with concatenated parts joined into one text.

Parts are recognised the two ways SMPP 3.4 allows: a concatenation UDH in short_message
(esm_class UDHI, 3GPP TS 23.040 §9.2.3.24.1) or the sar_msg_ref_num/sar_total_segments/
sar_segment_seqnum TLVs (SMPP 3.4 §5.3.2.22-24). A message shows up in the inbox when its
last missing part arrives; the payloads are joined before decoding, so an escape or a
surrogate pair split across parts still decodes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime
from typing import Final, NamedTuple

from smsgate.smpp.concat import Reassembler, decode_user_data, part_of
from smsgate.smpp.tlv import Tlv

__all__ = ["HandsetMessage", "Handsets"]

INBOX_SIZE: Final = 1000
PENDING_LIMIT: Final = 10_000  # incomplete multipart messages kept; the oldest go first


class HandsetMessage(NamedTuple):
    """A text as the handset shows it (`text` is decoded when read)."""

    sender: str
    user_data: bytes
    """The parts' user data joined, without UDH."""
    data_coding: int
    at: datetime
    message_ids: tuple[str, ...]
    """The SMSC message id of each part, in part order."""

    @property
    def text(self) -> str:
        return decode_user_data(self.user_data, self.data_coding)


class Handsets:
    """Every virtual handset's inbox (newest last, `INBOX_SIZE` kept per number)."""

    def __init__(self) -> None:
        self._inboxes: defaultdict[str, deque[HandsetMessage]] = defaultdict(
            lambda: deque(maxlen=INBOX_SIZE)
        )
        self._parts: Reassembler[str] = Reassembler(PENDING_LIMIT)

    def inbox(self, number: str) -> list[HandsetMessage]:
        return list(self._inboxes.get(number, ()))

    def receive(
        self,
        *,
        sender: str,
        recipient: str,
        short_message: bytes,
        esm_class: int,
        data_coding: int,
        tlvs: tuple[Tlv, ...],
        message_id: str,
        at: datetime,
    ) -> HandsetMessage | None:
        """Take one submitted part; return the message if it is now complete."""
        part = part_of(short_message, esm_class, tlvs)
        joined = self._parts.add((sender, recipient), part, message_id)
        if joined is None:
            return None
        message = HandsetMessage(
            sender,
            b"".join(payload for payload, _ in joined),
            data_coding,
            at,
            tuple(message_id for _, message_id in joined),
        )
        self._inboxes[recipient].append(message)
        return message

"""Virtual handsets: each number's inbox, with concatenated parts joined into one text.

Parts are recognised the two ways SMPP 3.4 allows: a concatenation UDH in short_message
(esm_class UDHI, 3GPP TS 23.040 §9.2.3.24.1) or the sar_msg_ref_num/sar_total_segments/
sar_segment_seqnum TLVs (SMPP 3.4 §5.3.2.22-24). A message shows up in the inbox when its
last missing part arrives; the payloads are joined before decoding, so an escape or a
surrogate pair split across parts still decodes.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from smsgate.domain.encoding import decode_gsm7, decode_ucs2
from smsgate.smpp import ESM_CLASS_UDHI, Tag, Tlv, UdhError, parse_udh
from smsgate.smpp.tlv import get_bytes, get_int

__all__ = ["HandsetMessage", "Handsets", "decode_text"]

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
        return decode_text(self.user_data, self.data_coding)


@dataclass(slots=True)
class _Partial:
    total: int
    data_coding: int
    parts: dict[int, tuple[bytes, str]]


def decode_text(payload: bytes, data_coding: int) -> str:
    """Decode user data: 0 as unpacked GSM-7, 8 as UCS-2, anything else as latin-1.

    Undecodable bytes never raise: a simulator shows what it got.
    """
    try:
        if data_coding == 0:
            return decode_gsm7(payload)
        if data_coding == 8:
            return decode_ucs2(payload)
    except ValueError:
        if data_coding == 8:
            return payload.decode("utf-16-be", "replace")
    return payload.decode("latin-1")


class Handsets:
    """Every virtual handset's inbox (newest last, `INBOX_SIZE` kept per number)."""

    def __init__(self) -> None:
        self._inboxes: defaultdict[str, deque[HandsetMessage]] = defaultdict(
            lambda: deque(maxlen=INBOX_SIZE)
        )
        self._partials: OrderedDict[tuple[str, str, int, int], _Partial] = OrderedDict()

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
        payload = short_message or get_bytes(tlvs, Tag.message_payload) or b""
        reference = total = seqnum = None
        if esm_class & ESM_CLASS_UDHI:
            try:
                concat, payload = parse_udh(payload)
            except UdhError:
                concat = None  # show the octets as they came
            if concat is not None:
                reference, total, seqnum = concat.reference, concat.total, concat.seqnum
        elif tlvs and (total := get_int(tlvs, Tag.sar_total_segments)) is not None:
            reference = get_int(tlvs, Tag.sar_msg_ref_num)
            seqnum = get_int(tlvs, Tag.sar_segment_seqnum)
        if reference is None or total is None or seqnum is None or total < 2:
            return self._add(recipient, sender, [(payload, message_id)], data_coding, at)
        key = (sender, recipient, reference, total)
        partial = self._partials.get(key)
        if partial is None:
            partial = self._partials[key] = _Partial(total, data_coding, {})
            if len(self._partials) > PENDING_LIMIT:
                self._partials.popitem(last=False)
        partial.parts[seqnum] = (payload, message_id)
        if len(partial.parts) < total:
            return None
        del self._partials[key]
        parts = [partial.parts[n] for n in sorted(partial.parts)]
        return self._add(recipient, sender, parts, partial.data_coding, at)

    def _add(
        self,
        recipient: str,
        sender: str,
        parts: list[tuple[bytes, str]],
        data_coding: int,
        at: datetime,
    ) -> HandsetMessage:
        if len(parts) == 1:
            user_data, message_id = parts[0]
            message = HandsetMessage(sender, user_data, data_coding, at, (message_id,))
        else:
            user_data = b"".join(payload for payload, _ in parts)
            ids = tuple(message_id for _, message_id in parts)
            message = HandsetMessage(sender, user_data, data_coding, at, ids)
        self._inboxes[recipient].append(message)
        return message

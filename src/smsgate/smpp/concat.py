"""Concatenated messages on the receiving side: which part a PDU is, and joining parts.

SMPP 3.4 carries a long message's parts two ways: a concatenation UDH at the start of
short_message with esm_class UDHI set (3GPP TS 23.040 §9.2.3.24.1), or the
sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (SMPP 3.4 §5.3.2.22-24).
The whole text may also come in a message_payload TLV (§5.3.2.32). Parts can arrive in
any order; payloads are joined before decoding, so an escape or a surrogate pair split
across parts still decodes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from smsgate.domain.encoding import decode_gsm7, decode_ucs2
from smsgate.smpp.errors import UdhError
from smsgate.smpp.tlv import Tag, Tlv, get_bytes, get_int
from smsgate.smpp.udh import ESM_CLASS_UDHI, parse_udh

T = TypeVar("T")

__all__ = ["Part", "Reassembler", "decode_user_data", "join_parts", "part_of"]


@dataclass(frozen=True, slots=True)
class Part:
    """One PDU's share of a message: `total` 1 for a message that came whole."""

    payload: bytes
    reference: int | None = None
    total: int = 1
    seqnum: int = 1


def part_of(short_message: bytes, esm_class: int, tlvs: tuple[Tlv, ...]) -> Part:
    """Which part of which message a deliver_sm/submit_sm/data_sm carries.

    A malformed UDH is not an error here: the octets are kept as the payload, as a
    handset would show them.
    """
    payload = short_message or get_bytes(tlvs, Tag.message_payload) or b""
    if esm_class & ESM_CLASS_UDHI:
        try:
            concat, user_data = parse_udh(payload)
        except UdhError:
            return Part(payload)
        if concat is not None and concat.total > 1:
            return Part(user_data, concat.reference, concat.total, concat.seqnum)
        return Part(user_data)
    total = get_int(tlvs, Tag.sar_total_segments) if tlvs else None
    reference = get_int(tlvs, Tag.sar_msg_ref_num) if tlvs else None
    seqnum = get_int(tlvs, Tag.sar_segment_seqnum) if tlvs else None
    if total is None or reference is None or seqnum is None or total < 2:
        return Part(payload)
    return Part(payload, reference, total, seqnum)


@dataclass(slots=True)
class _Partial(Generic[T]):
    total: int
    parts: dict[int, tuple[bytes, T]] = field(default_factory=dict)


class Reassembler(Generic[T]):
    """Collects parts until a message is whole. Each part carries a tag (say, its id).

    `limit` bounds the incomplete messages kept; past it the oldest is dropped.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._partials: OrderedDict[tuple[Hashable, int, int], _Partial[T]] = OrderedDict()

    def add(self, conversation: Hashable, part: Part, tag: T) -> list[tuple[bytes, T]] | None:
        """Add `part` of a message between `conversation` (e.g. sender and recipient).

        Returns every part's (payload, tag) in order once the message is whole, else None.
        """
        if part.total == 1 or part.reference is None:
            return [(part.payload, tag)]
        key = (conversation, part.reference, part.total)
        partial = self._partials.get(key)
        if partial is None:
            partial = self._partials[key] = _Partial(part.total)
            if len(self._partials) > self._limit:
                self._partials.popitem(last=False)
        partial.parts[part.seqnum] = (part.payload, tag)
        if len(partial.parts) < part.total:
            return None
        del self._partials[key]
        return [partial.parts[n] for n in sorted(partial.parts)]


def join_parts(payloads: Mapping[int, bytes], total: int) -> tuple[bytes, tuple[int, ...]]:
    """The user data of parts 1..`total` joined in part order, from those that arrived
    (`payloads` by seqnum), and the seqnums that are missing. Seqnums outside 1..total
    (a carrier's mistake) are ignored."""
    present = [payloads[n] for n in range(1, total + 1) if n in payloads]
    missing = tuple(n for n in range(1, total + 1) if n not in payloads)
    return b"".join(present), missing


def decode_user_data(payload: bytes, data_coding: int) -> str:
    """Text from user data: 0 as unpacked GSM-7, 8 as UCS-2, anything else as latin-1.

    Never raises: what a carrier sent is shown as well as it can be, not dropped.
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

"""Optional parameters: Tag-Length-Value fields (SMPP 3.4 §3.2.4, §5.3).

A PDU keeps its TLVs as a tuple of `Tlv(tag, value)` in wire order, values as raw bytes.
Unknown and vendor tags (0x1400-0x3FFF, §5.3.2) are kept as they came, never dropped, so
a PDU re-encodes to the same bytes. Typed reading and building goes through the helpers
below (`get_int`, `Tlv.from_int`, ...), which know each standard tag's size.

Decoding checks the stream's structure (ESME_RINVOPTPARSTREAM) and the length of every
standard tag against §5.3.2 (ESME_RINVPARLEN); it does not check which tags a command
allows (ESME_ROPTPARNOTALLWD) -- that is the receiver's policy, not the codec's.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Final, NamedTuple

from smsgate.smpp.errors import LocalProtocolError, PduDecodeError
from smsgate.smpp.status import CommandStatus

__all__ = [
    "NetworkErrorCode",
    "Tag",
    "Tlv",
    "decode_tlvs",
    "encode_tlvs",
    "get_bytes",
    "get_cstring",
    "get_int",
    "get_network_error_code",
]

_TLV_HEADER: Final = struct.Struct(">HH")


class Tag(IntEnum):
    """Standard optional parameter tags (SMPP 3.4 §5.3.2, table 5-3)."""

    dest_addr_subunit = 0x0005
    dest_network_type = 0x0006
    dest_bearer_type = 0x0007
    dest_telematics_id = 0x0008
    source_addr_subunit = 0x000D
    source_network_type = 0x000E
    source_bearer_type = 0x000F
    source_telematics_id = 0x0010
    qos_time_to_live = 0x0017
    payload_type = 0x0019
    additional_status_info_text = 0x001D
    receipted_message_id = 0x001E
    ms_msg_wait_facilities = 0x0030
    privacy_indicator = 0x0201
    source_subaddress = 0x0202
    dest_subaddress = 0x0203
    user_message_reference = 0x0204
    user_response_code = 0x0205
    source_port = 0x020A
    destination_port = 0x020B
    sar_msg_ref_num = 0x020C
    language_indicator = 0x020D
    sar_total_segments = 0x020E
    sar_segment_seqnum = 0x020F
    sc_interface_version = 0x0210
    callback_num_pres_ind = 0x0302
    callback_num_atag = 0x0303
    number_of_messages = 0x0304
    callback_num = 0x0381
    dpf_result = 0x0420
    set_dpf = 0x0421
    ms_availability_status = 0x0422
    network_error_code = 0x0423
    message_payload = 0x0424
    delivery_failure_reason = 0x0425
    more_messages_to_send = 0x0426
    message_state = 0x0427
    ussd_service_op = 0x0501
    display_time = 0x1201
    sms_signal = 0x1203
    ms_validity = 0x1204
    alert_on_message_delivery = 0x130C
    its_reply_type = 0x1380
    its_session_info = 0x1383


def _fixed(n: int) -> tuple[int, int]:
    return (n, n)


# (min, max) value length in octets for each standard tag, from the "Length" rows of
# SMPP 3.4 §5.3.2.1-§5.3.2.44. C-Octet Strings count their NUL; their minimum is 0, not
# 1, because some SMSCs omit the NUL (see get_cstring).
SIZES: Final[dict[int, tuple[int, int]]] = {
    Tag.dest_addr_subunit: _fixed(1),
    Tag.dest_network_type: _fixed(1),
    Tag.dest_bearer_type: _fixed(1),
    Tag.dest_telematics_id: _fixed(2),
    Tag.source_addr_subunit: _fixed(1),
    Tag.source_network_type: _fixed(1),
    Tag.source_bearer_type: _fixed(1),
    Tag.source_telematics_id: _fixed(1),
    Tag.qos_time_to_live: _fixed(4),
    Tag.payload_type: _fixed(1),
    Tag.additional_status_info_text: (0, 256),
    Tag.receipted_message_id: (0, 65),
    Tag.ms_msg_wait_facilities: _fixed(1),
    Tag.privacy_indicator: _fixed(1),
    Tag.source_subaddress: (2, 23),
    Tag.dest_subaddress: (2, 23),
    Tag.user_message_reference: _fixed(2),
    Tag.user_response_code: _fixed(1),
    Tag.source_port: _fixed(2),
    Tag.destination_port: _fixed(2),
    Tag.sar_msg_ref_num: _fixed(2),
    Tag.language_indicator: _fixed(1),
    Tag.sar_total_segments: _fixed(1),
    Tag.sar_segment_seqnum: _fixed(1),
    Tag.sc_interface_version: _fixed(1),
    Tag.callback_num_pres_ind: _fixed(1),
    Tag.callback_num_atag: (0, 65),
    Tag.number_of_messages: _fixed(1),
    Tag.callback_num: (4, 19),
    Tag.dpf_result: _fixed(1),
    Tag.set_dpf: _fixed(1),
    Tag.ms_availability_status: _fixed(1),
    Tag.network_error_code: _fixed(3),
    Tag.message_payload: (0, 0xFFFF),
    Tag.delivery_failure_reason: _fixed(1),
    Tag.more_messages_to_send: _fixed(1),
    Tag.message_state: _fixed(1),
    Tag.ussd_service_op: _fixed(1),
    Tag.display_time: _fixed(1),
    Tag.sms_signal: _fixed(2),
    Tag.ms_validity: _fixed(1),
    Tag.alert_on_message_delivery: _fixed(0),
    Tag.its_reply_type: _fixed(1),
    Tag.its_session_info: _fixed(2),
}


def _tag_name(tag: int) -> str:
    try:
        return Tag(tag).name
    except ValueError:
        return f"tag 0x{tag:04X}"


class NetworkErrorCode(NamedTuple):
    """The network_error_code TLV (SMPP 3.4 §5.3.2.31).

    `network_type` is 1 = ANSI-136, 2 = IS-95, 3 = GSM; `error_code` is that
    network's own code.
    """

    network_type: int
    error_code: int


class Tlv(NamedTuple):
    """One optional parameter: `tag` (a `Tag` or any vendor int) and its raw `value`."""

    tag: int
    value: bytes

    @classmethod
    def from_int(cls, tag: int, value: int, size: int | None = None) -> Tlv:
        """Build an integer TLV, big-endian, in the spec's size for `tag`.

        Args:
            tag: a `Tag` with a fixed integer size, or any tag together with `size`.
            value: the unsigned integer.
            size: octets; required for tags this module does not know.

        Raises:
            LocalProtocolError: unknown size, or `value` does not fit.
        """
        if size is None:
            low, high = SIZES.get(tag, (0, -1))
            if low != high or low == 0:
                raise LocalProtocolError(
                    f"{_tag_name(tag)} has no fixed integer size; pass size= explicitly."
                )
            size = low
        try:
            return cls(tag, value.to_bytes(size, "big"))
        except OverflowError as exc:
            raise LocalProtocolError(
                f"{_tag_name(tag)} value {value} does not fit in {size} octet(s) unsigned.",
                CommandStatus.ESME_RINVOPTPARAMVAL,
            ) from exc

    @classmethod
    def from_cstring(cls, tag: int, text: str) -> Tlv:
        """Build a C-Octet String TLV (latin-1, NUL added), e.g. receipted_message_id.

        Raises:
            LocalProtocolError: `text` contains NUL or a character beyond latin-1.
        """
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise LocalProtocolError(
                f"{_tag_name(tag)} {text!r} has characters outside latin-1."
            ) from exc
        if 0 in raw:
            raise LocalProtocolError(f"{_tag_name(tag)} {text!r} contains a NUL octet.")
        return cls(tag, raw + b"\x00")

    @classmethod
    def from_network_error_code(cls, network_type: int, error_code: int) -> Tlv:
        """Build network_error_code: 1 octet network type, 2 octets error code (§5.3.2.31)."""
        try:
            value = struct.pack(">BH", network_type, error_code)
        except struct.error as exc:
            raise LocalProtocolError(
                f"network_error_code ({network_type}, {error_code}) is out of range:"
                " network_type takes 0-255 and error_code 0-65535."
            ) from exc
        return cls(Tag.network_error_code, value)


def encode_tlvs(tlvs: tuple[Tlv, ...]) -> bytes:
    """Encode TLVs in order (SMPP 3.4 §3.2.4.1: 2-octet tag, 2-octet length, value).

    Raises:
        LocalProtocolError: a tag or value is out of range, or a standard tag's value
            has a length §5.3.2 does not allow.
    """
    parts = []
    for tag, value in tlvs:
        size = len(value)
        limits = SIZES.get(tag)
        if limits is not None and not limits[0] <= size <= limits[1]:
            raise LocalProtocolError(
                f"{_tag_name(tag)} has a {size}-octet value; SMPP 3.4 §5.3.2 allows"
                f" {limits[0]}-{limits[1]}.",
                CommandStatus.ESME_RINVPARLEN,
            )
        try:
            parts.append(_TLV_HEADER.pack(tag, size))
        except struct.error as exc:
            raise LocalProtocolError(
                f"TLV tag {tag!r} with a {size}-octet value cannot be encoded: tags take"
                " 0-0xFFFF and values at most 65535 octets."
            ) from exc
        parts.append(value)
    return b"".join(parts)


def decode_tlvs(data: bytes, offset: int = 0) -> tuple[Tlv, ...]:
    """Decode the TLVs from `offset` to the end of `data`, in wire order.

    Raises:
        PduDecodeError: ESME_RINVOPTPARSTREAM when a TLV runs past the end of the data,
            ESME_RINVPARLEN when a standard tag has a length §5.3.2 does not allow.
    """
    end = len(data)
    out = []
    pos = offset
    while pos < end:
        if pos + 4 > end:
            raise PduDecodeError(
                f"{end - pos} octet(s) after the last TLV cannot hold a TLV header.",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        tag, size = _TLV_HEADER.unpack_from(data, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            raise PduDecodeError(
                f"{_tag_name(tag)} claims {size} octets but only {end - pos} remain.",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        limits = SIZES.get(tag)
        if limits is not None and not limits[0] <= size <= limits[1]:
            raise PduDecodeError(
                f"{_tag_name(tag)} has a {size}-octet value; SMPP 3.4 §5.3.2 allows"
                f" {limits[0]}-{limits[1]}.",
                CommandStatus.ESME_RINVPARLEN,
            )
        out.append(Tlv(tag, data[pos:stop]))
        pos = stop
    return tuple(out)


def get_bytes(tlvs: tuple[Tlv, ...], tag: int) -> bytes | None:
    """The raw value of the first TLV with `tag`, or None when absent."""
    for t, value in tlvs:
        if t == tag:
            return value
    return None


def get_int(tlvs: tuple[Tlv, ...], tag: int) -> int | None:
    """The first TLV with `tag` read as a big-endian unsigned integer, or None."""
    value = get_bytes(tlvs, tag)
    return None if value is None else int.from_bytes(value, "big")


def get_cstring(tlvs: tuple[Tlv, ...], tag: int) -> str | None:
    """The first TLV with `tag` read as a C-Octet String (latin-1), or None.

    Tolerates a missing NUL terminator, which some SMSCs omit in receipted_message_id.
    """
    value = get_bytes(tlvs, tag)
    if value is None:
        return None
    return value.split(b"\x00", 1)[0].decode("latin-1")


def get_network_error_code(tlvs: tuple[Tlv, ...]) -> NetworkErrorCode | None:
    """The network_error_code TLV (§5.3.2.31), or None when absent."""
    value = get_bytes(tlvs, Tag.network_error_code)
    if value is None or len(value) != 3:
        return None
    network_type, error_code = struct.unpack(">BH", value)
    return NetworkErrorCode(network_type, error_code)

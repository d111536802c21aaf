from __future__ import annotations

import pytest
from hypothesis import given

from smsgate.smpp.errors import LocalProtocolError, PduDecodeError
from smsgate.smpp.status import CommandStatus
from smsgate.smpp.tlv import (
    SIZES,
    NetworkErrorCode,
    Tag,
    Tlv,
    decode_tlvs,
    encode_tlvs,
    get_bytes,
    get_cstring,
    get_int,
    get_network_error_code,
)

from .strategies import tlvs


@given(tlvs)
def test_round_trip_keeps_order_and_unknown_tags(items: tuple[Tlv, ...]) -> None:
    assert decode_tlvs(encode_tlvs(items)) == items


def test_wire_layout_is_tag_length_value() -> None:
    items = (Tlv(Tag.sar_msg_ref_num, b"\x00\x2a"), Tlv(0x1401, b"vendor"))
    expected = bytes.fromhex("020c0002002a14010006") + b"vendor"
    assert encode_tlvs(items) == expected


def test_decode_from_offset() -> None:
    assert decode_tlvs(b"junk" + bytes.fromhex("0427000102"), 4) == (
        Tlv(Tag.message_state, b"\x02"),
    )


@pytest.mark.parametrize(
    ("hex_data", "status"),
    [
        ("0427", CommandStatus.ESME_RINVOPTPARSTREAM),
        ("0427000202", CommandStatus.ESME_RINVOPTPARSTREAM),
        ("042700020202", CommandStatus.ESME_RINVPARLEN),
        ("042300020300", CommandStatus.ESME_RINVPARLEN),
        ("038100023132", CommandStatus.ESME_RINVPARLEN),  # callback_num is 4-19 octets
    ],
)
def test_decode_errors(hex_data: str, status: CommandStatus) -> None:
    with pytest.raises(PduDecodeError) as info:
        decode_tlvs(bytes.fromhex(hex_data))
    assert info.value.status == status


def test_integer_sizes_follow_the_spec() -> None:
    assert Tlv.from_int(Tag.sar_msg_ref_num, 0x1234) == Tlv(0x020C, b"\x12\x34")
    assert Tlv.from_int(Tag.sar_total_segments, 3).value == b"\x03"
    assert Tlv.from_int(Tag.qos_time_to_live, 1).value == b"\x00\x00\x00\x01"
    assert Tlv.from_int(Tag.source_telematics_id, 1).value == b"\x01"
    assert Tlv.from_int(0x1500, 7, size=2).value == b"\x00\x07"
    with pytest.raises(LocalProtocolError, match="pass size="):
        Tlv.from_int(0x1500, 7)
    with pytest.raises(LocalProtocolError, match="does not fit"):
        Tlv.from_int(Tag.message_state, 256)
    with pytest.raises(LocalProtocolError):
        Tlv.from_int(Tag.message_payload, 1)


def test_typed_accessors() -> None:
    items = (
        Tlv.from_cstring(Tag.receipted_message_id, "abc123"),
        Tlv.from_int(Tag.message_state, 2),
        Tlv.from_network_error_code(3, 0x0102),
        Tlv(Tag.message_payload, b"payload"),
        Tlv.from_int(Tag.message_state, 5),  # only the first of a repeated tag counts
    )
    assert items[0].value == b"abc123\x00"
    assert get_cstring(items, Tag.receipted_message_id) == "abc123"
    assert get_int(items, Tag.message_state) == 2
    assert get_network_error_code(items) == NetworkErrorCode(3, 0x0102)
    assert get_bytes(items, Tag.message_payload) == b"payload"
    assert get_bytes(items, Tag.sar_msg_ref_num) is None
    assert get_int(items, Tag.sar_msg_ref_num) is None
    assert get_cstring(items, Tag.additional_status_info_text) is None
    assert get_network_error_code(()) is None


def test_cstring_without_nul_is_tolerated() -> None:
    assert get_cstring((Tlv(Tag.receipted_message_id, b"abc"),), Tag.receipted_message_id) == "abc"


def test_cstring_builder_refuses_nul_and_non_latin1() -> None:
    with pytest.raises(LocalProtocolError):
        Tlv.from_cstring(Tag.receipted_message_id, "a\x00b")
    with pytest.raises(LocalProtocolError):
        Tlv.from_cstring(Tag.receipted_message_id, "\u20ac")
    with pytest.raises(LocalProtocolError):
        Tlv.from_network_error_code(3, 70000)


def test_encode_refuses_wrong_sizes_and_ranges() -> None:
    with pytest.raises(LocalProtocolError) as info:
        encode_tlvs((Tlv(Tag.network_error_code, b"\x00"),))
    assert info.value.status == CommandStatus.ESME_RINVPARLEN
    with pytest.raises(LocalProtocolError):
        encode_tlvs((Tlv(0x10000, b""),))
    with pytest.raises(LocalProtocolError):
        encode_tlvs((Tlv(0x1400, b"x" * 65536),))


def test_every_tag_has_a_size() -> None:
    assert set(SIZES) == set(Tag)

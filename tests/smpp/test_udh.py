from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp.errors import LocalProtocolError, UdhError
from smsgate.smpp.udh import ESM_CLASS_UDHI, ConcatInfo, add_concat_udh, parse_udh


def test_esm_class_flag() -> None:
    assert ESM_CLASS_UDHI == 0x40


def test_8bit_reference_layout() -> None:
    assert add_concat_udh(b"hi", 0x2A, 3, 2) == bytes.fromhex("0500032a0302") + b"hi"
    assert parse_udh(bytes.fromhex("0500032a0302") + b"hi") == (ConcatInfo(0x2A, 3, 2), b"hi")


def test_16bit_reference_layout() -> None:
    data = add_concat_udh(b"hi", 0x1234, 2, 1)
    assert data == bytes.fromhex("06080412340201") + b"hi"
    assert parse_udh(data) == (ConcatInfo(0x1234, 2, 1, is_16bit=True), b"hi")
    forced = add_concat_udh(b"", 7, 2, 2, is_16bit=True)
    assert forced == bytes.fromhex("06080400070202")


@given(
    payload=st.binary(max_size=140),
    ref=st.integers(0, 0xFFFF),
    total=st.integers(1, 255),
    data=st.data(),
)
def test_round_trip(payload: bytes, ref: int, total: int, data: st.DataObject) -> None:
    seq = data.draw(st.integers(1, total))
    info, rest = parse_udh(add_concat_udh(payload, ref, total, seq))
    assert info == ConcatInfo(ref, total, seq, is_16bit=ref > 0xFF)
    assert rest == payload


def test_other_elements_are_skipped() -> None:
    # Port addressing (IEI 0x05) followed by an 8-bit concatenation element.
    data = bytes.fromhex("0b05040b8400000003010201") + b"x"
    assert parse_udh(data) == (ConcatInfo(1, 2, 1), b"x")
    assert parse_udh(bytes.fromhex("06050400000000") + b"y") == (None, b"y")


@pytest.mark.parametrize("udh", ["050003010300", "050003010002", "050003010000"])
def test_invalid_part_numbers_are_ignored(udh: str) -> None:
    assert parse_udh(bytes.fromhex(udh)) == (None, b"")


@pytest.mark.parametrize("data", ["", "05", "050003", "0300050102"])
def test_malformed_headers(data: str) -> None:
    with pytest.raises(UdhError):
        parse_udh(bytes.fromhex(data))


@given(st.binary(max_size=40))
def test_arbitrary_bytes_parse_or_raise_udh_error(data: bytes) -> None:
    try:
        info, rest = parse_udh(data)
    except UdhError:
        return
    assert rest == data[1 + data[0] :]
    assert info is None or 1 <= info.seqnum <= info.total


@pytest.mark.parametrize(
    ("ref", "total", "seq", "wide"),
    [(1, 0, 1, None), (1, 2, 3, None), (1, 2, 0, None), (-1, 2, 1, None), (256, 2, 1, False)],
)
def test_builder_refuses_out_of_range(ref: int, total: int, seq: int, wide: bool | None) -> None:
    with pytest.raises(LocalProtocolError):
        add_concat_udh(b"", ref, total, seq, is_16bit=wide)

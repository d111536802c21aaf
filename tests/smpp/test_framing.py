from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp._framing import FrameBuffer
from smsgate.smpp.errors import FramingError
from smsgate.smpp.pdu import Pdu, encode

from .strategies import any_pdu

ENQUIRE_LINK = bytes.fromhex("00000010000000150000000000000001")


def test_whole_pdu_in_one_chunk() -> None:
    frames = FrameBuffer()
    frames.add_data(ENQUIRE_LINK + ENQUIRE_LINK[:5])
    assert frames.next_frame() == ENQUIRE_LINK
    assert frames.next_frame() is None
    assert len(frames) == 5
    frames.add_data(ENQUIRE_LINK[5:])
    assert list(frames) == [ENQUIRE_LINK]
    assert len(frames) == 0


def test_byte_by_byte() -> None:
    frames = FrameBuffer()
    out: list[bytes] = []
    for octet in ENQUIRE_LINK * 2:
        frames.add_data(bytes([octet]))
        out.extend(frames)
    assert out == [ENQUIRE_LINK, ENQUIRE_LINK]


@pytest.mark.parametrize("length", [0, 1, 15])
def test_short_command_length_fails_before_the_body(length: int) -> None:
    frames = FrameBuffer()
    frames.add_data(struct.pack(">I", length))
    with pytest.raises(FramingError):
        frames.next_frame()


def test_oversized_command_length_fails_from_four_octets() -> None:
    frames = FrameBuffer(max_pdu_size=1024)
    frames.add_data(struct.pack(">I", 1025))
    with pytest.raises(FramingError, match="1025"):
        frames.next_frame()
    # The stream is lost for good: later calls fail the same way.
    frames.add_data(ENQUIRE_LINK)
    with pytest.raises(FramingError):
        frames.next_frame()


def test_cap_is_inclusive() -> None:
    frames = FrameBuffer(max_pdu_size=16)
    frames.add_data(ENQUIRE_LINK)
    assert frames.next_frame() == ENQUIRE_LINK


def test_cap_must_hold_a_header() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        FrameBuffer(max_pdu_size=15)


@given(pdus=st.lists(any_pdu, min_size=1, max_size=5), cuts=st.lists(st.integers(0, 2000)))
def test_any_split_yields_the_same_pdus(pdus: list[Pdu], cuts: list[int]) -> None:
    encoded = [encode(pdu) for pdu in pdus]
    stream = b"".join(encoded)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    frames = FrameBuffer()
    out: list[bytes] = []
    for start, end in itertools.pairwise(points):
        frames.add_data(stream[start:end])
        out.extend(frames)
    assert out == encoded


@given(chunks=st.lists(st.binary(max_size=64), max_size=8), cap=st.integers(16, 256))
def test_arbitrary_bytes_give_frames_or_framing_error(chunks: list[bytes], cap: int) -> None:
    frames = FrameBuffer(max_pdu_size=cap)
    try:
        for chunk in chunks:
            frames.add_data(chunk)
            for frame in frames:
                (length,) = struct.unpack_from(">I", frame)
                assert length == len(frame)
                assert 16 <= length <= cap
    except FramingError:
        pass

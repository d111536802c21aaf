"""Reassembly of concatenated messages: UDH with 8- and 16-bit references and sar_* TLVs,
parts in any order and repeated, joined before decoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.encoding import analyse, segment_payloads
from smsgate.smpp.concat import Part, Reassembler, decode_user_data, join_parts, part_of
from smsgate.smpp.tlv import Tag, Tlv
from smsgate.smpp.udh import ESM_CLASS_UDHI, add_concat_udh

SCHEMES = ("udh8", "udh16", "sar")


def wire_part(
    scheme: str, payload: bytes, reference: int, total: int, seqnum: int
) -> tuple[bytes, int, tuple[Tlv, ...]]:
    """(short_message, esm_class, tlvs) of one part as a carrier sends it."""
    if scheme == "sar":
        tlvs = (
            Tlv.from_int(Tag.sar_msg_ref_num, reference),
            Tlv.from_int(Tag.sar_total_segments, total),
            Tlv.from_int(Tag.sar_segment_seqnum, seqnum),
        )
        return payload, 0, tlvs
    udh = add_concat_udh(payload, reference, total, seqnum, is_16bit=scheme == "udh16")
    return udh, ESM_CLASS_UDHI, ()


@st.composite
def split_messages(draw: st.DrawFn) -> tuple[str, list[bytes], int, str, list[int]]:
    """A text, its segment payloads, a reference, a scheme, and an arrival order of the
    parts' seqnums (every part at least once, some repeated)."""
    text = draw(
        st.text(
            alphabet=st.sampled_from("abcXYZ 0123€[]{}^~|\\äöüñ") | st.characters(),
            min_size=1,
            max_size=400,
        ).filter(lambda t: t.strip() != "" and not any(0xD800 <= ord(c) <= 0xDFFF for c in t))
    )
    payloads = list(segment_payloads(analyse(text, smart=False))) or [b""]
    scheme = draw(st.sampled_from(SCHEMES))
    reference = draw(st.integers(0, 0xFF if scheme == "udh8" else 0xFFFF))
    order = draw(st.permutations(range(1, len(payloads) + 1)))
    repeats = draw(st.lists(st.sampled_from(order), max_size=3))
    arrival = list(order)
    for n in repeats:
        arrival.insert(draw(st.integers(0, len(arrival))), n)
    return text, payloads, reference, scheme, arrival


@given(split_messages())
def test_parts_in_any_order_join_into_the_text(
    case: tuple[str, list[bytes], int, str, list[int]],
) -> None:
    text, payloads, reference, scheme, arrival = case
    data_coding = 0 if analyse(text, smart=False).encoding.value == "GSM-7" else 8
    total = len(payloads)
    reassembler: Reassembler[int] = Reassembler()
    completed = []
    received: dict[int, bytes] = {}
    for seqnum in arrival:
        short_message, esm_class, tlvs = wire_part(
            scheme, payloads[seqnum - 1], reference, total, seqnum
        )
        part = part_of(short_message, esm_class, tlvs)
        if total > 1:
            assert (part.reference, part.total, part.seqnum) == (reference, total, seqnum)
        received[part.seqnum] = part.payload
        joined = reassembler.add(("+14155552671", "+15005550006"), part, seqnum)
        if joined is not None:
            completed.append(joined)
    # One message once every part is in; a repeat after that starts a new partial message
    # in memory (the durable store ignores repeats of a kept part).
    assert completed
    first = completed[0]
    assert [n for _, n in first] == list(range(1, total + 1))
    user_data, missing = join_parts(received, total)
    assert missing == ()
    assert b"".join(payload for payload, _ in first) == user_data
    assert decode_user_data(user_data, data_coding) == analyse(text, smart=False).text


@given(
    payloads=st.dictionaries(st.integers(-2, 12), st.binary(max_size=5), max_size=12),
    total=st.integers(1, 10),
)
def test_join_parts_reports_what_is_missing(payloads: dict[int, bytes], total: int) -> None:
    user_data, missing = join_parts(payloads, total)
    present = [n for n in range(1, total + 1) if n in payloads]
    assert user_data == b"".join(payloads[n] for n in present)
    assert sorted(missing + tuple(present)) == list(range(1, total + 1))


def test_a_single_part_message_is_whole_at_once() -> None:
    assert Reassembler[None]().add("c", Part(b"hi"), None) == [(b"hi", None)]


def test_ucs2_emoji_split_across_parts_decodes() -> None:
    text = "👍" * 40  # 80 UTF-16 units: two UCS-2 segments, the pair split at the boundary
    payloads = segment_payloads(analyse(text, smart=False))
    assert len(payloads) == 2
    user_data, _ = join_parts(dict(enumerate(payloads, 1)), 2)
    assert decode_user_data(user_data, 8) == text

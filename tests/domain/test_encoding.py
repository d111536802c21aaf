"""GSM-7 / UCS-2 encoding and segmentation (3GPP TS 23.038, TS 23.040)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.encoding import (
    SMART_REPLACEMENTS,
    EncodedBody,
    Encoding,
    analyse,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    gsm7_units,
    is_gsm7,
    segment_payloads,
)

# An independent transcription of TS 23.038 clause 6.2.1, by Unicode name, so that a
# look-alike code point in the module's table (say OHM SIGN for OMEGA) cannot slip through.
_NAMED_BASIC = {
    0x00: "\N{COMMERCIAL AT}",
    0x01: "\N{POUND SIGN}",
    0x02: "\N{DOLLAR SIGN}",
    0x03: "\N{YEN SIGN}",
    0x04: "\N{LATIN SMALL LETTER E WITH GRAVE}",
    0x05: "\N{LATIN SMALL LETTER E WITH ACUTE}",
    0x06: "\N{LATIN SMALL LETTER U WITH GRAVE}",
    0x07: "\N{LATIN SMALL LETTER I WITH GRAVE}",
    0x08: "\N{LATIN SMALL LETTER O WITH GRAVE}",
    0x09: "\N{LATIN CAPITAL LETTER C WITH CEDILLA}",
    0x0A: "\N{LINE FEED}",
    0x0B: "\N{LATIN CAPITAL LETTER O WITH STROKE}",
    0x0C: "\N{LATIN SMALL LETTER O WITH STROKE}",
    0x0D: "\N{CARRIAGE RETURN}",
    0x0E: "\N{LATIN CAPITAL LETTER A WITH RING ABOVE}",
    0x0F: "\N{LATIN SMALL LETTER A WITH RING ABOVE}",
    0x10: "\N{GREEK CAPITAL LETTER DELTA}",
    0x11: "\N{LOW LINE}",
    0x12: "\N{GREEK CAPITAL LETTER PHI}",
    0x13: "\N{GREEK CAPITAL LETTER GAMMA}",
    0x14: "\N{GREEK CAPITAL LETTER LAMDA}",
    0x15: "\N{GREEK CAPITAL LETTER OMEGA}",
    0x16: "\N{GREEK CAPITAL LETTER PI}",
    0x17: "\N{GREEK CAPITAL LETTER PSI}",
    0x18: "\N{GREEK CAPITAL LETTER SIGMA}",
    0x19: "\N{GREEK CAPITAL LETTER THETA}",
    0x1A: "\N{GREEK CAPITAL LETTER XI}",
    0x1C: "\N{LATIN CAPITAL LETTER AE}",
    0x1D: "\N{LATIN SMALL LETTER AE}",
    0x1E: "\N{LATIN SMALL LETTER SHARP S}",
    0x1F: "\N{LATIN CAPITAL LETTER E WITH ACUTE}",
    0x24: "\N{CURRENCY SIGN}",
    0x40: "\N{INVERTED EXCLAMATION MARK}",
    0x5B: "\N{LATIN CAPITAL LETTER A WITH DIAERESIS}",
    0x5C: "\N{LATIN CAPITAL LETTER O WITH DIAERESIS}",
    0x5D: "\N{LATIN CAPITAL LETTER N WITH TILDE}",
    0x5E: "\N{LATIN CAPITAL LETTER U WITH DIAERESIS}",
    0x5F: "\N{SECTION SIGN}",
    0x60: "\N{INVERTED QUESTION MARK}",
    0x7B: "\N{LATIN SMALL LETTER A WITH DIAERESIS}",
    0x7C: "\N{LATIN SMALL LETTER O WITH DIAERESIS}",
    0x7D: "\N{LATIN SMALL LETTER N WITH TILDE}",
    0x7E: "\N{LATIN SMALL LETTER U WITH DIAERESIS}",
    0x7F: "\N{LATIN SMALL LETTER A WITH GRAVE}",
}
# Every other position from 0x20 up holds the ASCII character of the same value.
SPEC_BASIC = {
    **{code: chr(code) for code in range(0x20, 0x80) if code not in _NAMED_BASIC},
    **_NAMED_BASIC,
}
SPEC_EXTENSION = {
    0x0A: "\N{FORM FEED}",
    0x14: "\N{CIRCUMFLEX ACCENT}",
    0x28: "\N{LEFT CURLY BRACKET}",
    0x29: "\N{RIGHT CURLY BRACKET}",
    0x2F: "\N{REVERSE SOLIDUS}",
    0x3C: "\N{LEFT SQUARE BRACKET}",
    0x3D: "\N{TILDE}",
    0x3E: "\N{RIGHT SQUARE BRACKET}",
    0x40: "\N{VERTICAL LINE}",
    0x65: "\N{EURO SIGN}",
}
GSM_ALPHABET = sorted({*SPEC_BASIC.values(), *SPEC_EXTENSION.values()})
EXTENSION_CHARS = frozenset(SPEC_EXTENSION.values())

EMOJI = "\N{GRINNING FACE}"
CYRILLIC = "\N{CYRILLIC SMALL LETTER YA}"


def units_of(segment: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return len(segment) + sum(char in EXTENSION_CHARS for char in segment)
    return len(segment.encode("utf-16-be")) // 2


def cost_of(char: str, encoding: Encoding) -> int:
    return units_of(char, encoding)


# --- The alphabet --------------------------------------------------------------------------


def test_spec_transcription_is_complete() -> None:
    assert len(SPEC_BASIC) == 127  # 128 positions less the escape at 0x1B
    assert 0x1B not in SPEC_BASIC
    assert len(set(SPEC_BASIC.values())) == 127


@pytest.mark.parametrize(("code", "char"), sorted(SPEC_BASIC.items()))
def test_basic_table_position(code: int, char: str) -> None:
    assert encode_gsm7(char) == bytes([code])
    assert decode_gsm7(bytes([code])) == char
    assert gsm7_units(char) == 1


@pytest.mark.parametrize(("code", "char"), sorted(SPEC_EXTENSION.items()))
def test_extension_table_position(code: int, char: str) -> None:
    assert encode_gsm7(char) == bytes([0x1B, code])
    assert decode_gsm7(bytes([0x1B, code])) == char
    assert gsm7_units(char) == 2


def test_is_gsm7_accepts_exactly_the_alphabet() -> None:
    accepted = {chr(cp) for cp in range(0x10000) if is_gsm7(chr(cp))}
    assert accepted == set(GSM_ALPHABET)
    assert not is_gsm7(EMOJI)


@pytest.mark.parametrize(
    "char", ["`", "\t", "\x1b", "\N{LATIN SMALL LETTER C WITH CEDILLA}", EMOJI]
)
def test_non_gsm_characters_are_rejected(char: str) -> None:
    assert not is_gsm7(f"ok{char}")
    with pytest.raises(ValueError, match=r"\(U\+[0-9A-F]{4,}\) at index 2 is not in the GSM-7"):
        encode_gsm7(f"ok{char}")
    with pytest.raises(ValueError, match="not in the GSM-7 alphabet"):
        gsm7_units(f"ok{char}")


def test_empty_text() -> None:
    assert is_gsm7("")
    assert gsm7_units("") == 0
    assert encode_gsm7("") == b""
    assert decode_gsm7(b"") == ""
    assert encode_ucs2("") == b""
    assert decode_ucs2(b"") == ""


def test_euro_counts_two_septets() -> None:
    assert gsm7_units("€") == 2
    assert gsm7_units("10€ {x}") == 10
    body = analyse("€")
    assert (body.encoding, body.characters, body.units) == (Encoding.GSM7, 1, 2)


# --- Decoding what a carrier sends us ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x1b\x41", "A"),  # undefined escape: shown as the basic-table character
        (b"\x1b\x0d", "\r"),
        (b"\x1b\x1b", " "),  # escape to a further extension table: shown as a space
        (b"\x1b\x1b\x65", " e"),
        (b"ab\x1b", "ab "),  # truncated escape
        (b"\x00\x1b\x65\x02", "@€$"),
    ],
)
def test_decode_gsm7_is_lenient_about_escapes(data: bytes, text: str) -> None:
    assert decode_gsm7(data) == text


def test_decode_gsm7_rejects_bytes_above_0x7f() -> None:
    with pytest.raises(ValueError, match="byte 0x80 at offset 1"):
        decode_gsm7(b"a\x80")


def test_ucs2_is_utf16_big_endian() -> None:
    assert encode_ucs2("A€") == b"\x00A\x20\xac"
    assert encode_ucs2(EMOJI) == b"\xd8\x3d\xde\x00"
    assert decode_ucs2(b"\xd8\x3d\xde\x00") == EMOJI


def test_decode_ucs2_rejects_odd_length() -> None:
    with pytest.raises(ValueError, match="even number of bytes, got 3"):
        decode_ucs2(b"\x00A\x00")


@pytest.mark.parametrize("data", [b"\xd8\x3d", b"\xde\x00\x00A", b"\xd8\x3d\x00A"])
def test_decode_ucs2_rejects_unpaired_surrogates(data: bytes) -> None:
    with pytest.raises(ValueError, match="unpaired UTF-16 surrogate"):
        decode_ucs2(data)


def test_lone_surrogate_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match=r"lone surrogate U\+D800 at index 1"):
        encode_ucs2("a\ud800")
    with pytest.raises(ValueError, match="lone surrogate"):
        analyse("a\ud800")


# --- Segmentation --------------------------------------------------------------------------


def test_empty_body() -> None:
    assert analyse("") == EncodedBody("", Encoding.GSM7, (), 0, 0, 160, ())


def test_160_gsm_chars_fit_one_segment() -> None:
    body = analyse("a" * 160)
    assert body.segments == ("a" * 160,)
    assert (body.encoding, body.units, body.units_per_segment) == (Encoding.GSM7, 160, 160)


def test_161_gsm_chars_split_153_and_8() -> None:
    body = analyse("a" * 161)
    assert body.segments == ("a" * 153, "a" * 8)
    assert (body.units, body.units_per_segment) == (161, 153)
    assert [len(p) for p in segment_payloads(body)] == [153, 8]


@pytest.mark.parametrize(("length", "count"), [(306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm_segment_count(length: int, count: int) -> None:
    assert len(analyse("x" * length).segments) == count


def test_80_euros_fit_one_segment_and_81_do_not() -> None:
    assert analyse("€" * 80).segments == ("€" * 80,)
    body = analyse("€" * 81)
    assert body.units == 162
    assert body.segments == ("€" * 76, "€" * 5)  # 76 * 2 = 152; a 77th would make 154


def test_extension_char_never_straddles_a_segment_boundary() -> None:
    body = analyse("a" * 152 + "€" + "b" * 10)
    assert body.segments == ("a" * 152, "€" + "b" * 10)
    first, second = segment_payloads(body)
    assert len(first) == 152
    assert second.startswith(b"\x1b\x65")


def test_extension_char_that_fits_exactly_stays() -> None:
    body = analyse("a" * 151 + "€" + "b" * 10)
    assert body.segments == ("a" * 151 + "€", "b" * 10)
    assert len(segment_payloads(body)[0]) == 153


def test_70_ucs2_units_fit_one_segment() -> None:
    body = analyse(CYRILLIC * 70)
    assert body.segments == (CYRILLIC * 70,)
    assert (body.encoding, body.units, body.units_per_segment) == (Encoding.UCS2, 70, 70)
    assert [len(p) for p in segment_payloads(body)] == [140]


def test_71_ucs2_units_split_67_and_4() -> None:
    body = analyse(CYRILLIC * 71)
    assert body.segments == (CYRILLIC * 67, CYRILLIC * 4)
    assert (body.units, body.units_per_segment) == (71, 67)
    assert [len(p) for p in segment_payloads(body)] == [134, 8]


def test_emoji_never_splits_its_surrogate_pair() -> None:
    body = analyse(CYRILLIC * 66 + EMOJI + CYRILLIC * 10)
    assert body.segments == (CYRILLIC * 66, EMOJI + CYRILLIC * 10)
    assert [len(p) for p in segment_payloads(body)] == [132, 24]


def test_emoji_that_fits_exactly_stays() -> None:
    body = analyse(CYRILLIC * 65 + EMOJI + CYRILLIC * 10)
    assert body.segments == (CYRILLIC * 65 + EMOJI, CYRILLIC * 10)


def test_emoji_count_in_utf16_units() -> None:
    assert analyse(EMOJI * 35).segments == (EMOJI * 35,)
    body = analyse(EMOJI * 36)
    assert (body.characters, body.units) == (36, 72)
    assert body.segments == (EMOJI * 33, EMOJI * 3)


# --- Smart encoding ------------------------------------------------------------------------


def test_smart_quotes_become_gsm7_and_are_listed() -> None:
    body = analyse("It\u2019s \u201cfine\u201d \u2013 really\u2026 \u2018ok\u2019")
    assert body.encoding is Encoding.GSM7
    assert body.text == "It's \"fine\" - really... 'ok'"
    assert body.segments == (body.text,)
    assert body.characters == len(body.text)
    assert body.replacements == (
        ("\u2019", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2013", "-"),
        ("\u2026", "..."),
        ("\u2018", "'"),
    )


def test_invisible_characters_are_removed() -> None:
    body = analyse("\ufeffHello\u00a0world\u200b")
    assert body.text == "Hello world"
    assert body.replacements == (("\ufeff", ""), ("\u00a0", " "), ("\u200b", ""))
    assert analyse("\u200b") == EncodedBody("", Encoding.GSM7, (), 0, 0, 160, (("\u200b", ""),))


def test_replacement_can_make_a_body_multipart() -> None:
    body = analyse("\u2026" * 60)
    assert body.text == "..." * 60
    assert (body.units, len(body.segments)) == (180, 2)


def test_emoji_keeps_the_original_text_as_ucs2() -> None:
    original = f"See you \u201csoon\u201d {EMOJI}"
    body = analyse(original)
    assert body.encoding is Encoding.UCS2
    assert body.text == original
    assert body.replacements == ()


def test_chinese_keeps_its_nbsp() -> None:
    original = "\u4f60\u597d\u00a0world"
    assert analyse(original).text == original


def test_smart_false_never_replaces() -> None:
    body = analyse("It\u2019s", smart=False)
    assert body.encoding is Encoding.UCS2
    assert body.text == "It\u2019s"
    assert body.replacements == ()


@pytest.mark.parametrize(
    ("chars", "replacement"),
    [
        ("\u2018\u2019\u201a\u201b\u2032\u2039\u203a", "'"),
        ("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        ("\u2012\u2013\u2014\u2015\u2212\u2022", "-"),
        ("\u00a0\u202f\u2007\u2009\u2002\u2003", " "),
        ("\u200b\u200c\u200d\u00ad\ufeff", ""),
        ("\u2026", "..."),
    ],
)
def test_required_replacements(chars: str, replacement: str) -> None:
    for char in chars:
        assert SMART_REPLACEMENTS[char] == replacement


def test_replacements_map_non_gsm_chars_to_gsm_text() -> None:
    for char, replacement in SMART_REPLACEMENTS.items():
        assert len(char) == 1
        assert not is_gsm7(char)
        assert is_gsm7(replacement)


def test_encoding_values() -> None:
    assert [str(encoding) for encoding in Encoding] == ["GSM-7", "UCS-2"]
    assert Encoding("UCS-2") is Encoding.UCS2


# --- Properties ----------------------------------------------------------------------------

gsm_text = st.text(alphabet=st.sampled_from(GSM_ALPHABET))
interesting_chars = st.one_of(
    st.sampled_from(GSM_ALPHABET),
    st.sampled_from(sorted(EXTENSION_CHARS)),
    st.sampled_from(sorted(SMART_REPLACEMENTS)),
    st.sampled_from([EMOJI, CYRILLIC, "\U0001f1fa", "\u4f60"]),
    st.characters(codec="utf-8"),  # any code point but a lone surrogate
)


@st.composite
def bodies(draw: st.DrawFn) -> str:
    """Random text around a long run, so that segment boundaries land on every kind of char."""
    head = draw(st.text(interesting_chars, max_size=30))
    run = draw(st.sampled_from(["a", "€", CYRILLIC, EMOJI, "\u2019"])) * draw(st.integers(0, 340))
    tail = draw(st.text(interesting_chars, max_size=30))
    return head + run + tail


@given(gsm_text)
def test_gsm7_round_trip(text: str) -> None:
    encoded = encode_gsm7(text)
    assert decode_gsm7(encoded) == text
    assert len(encoded) == gsm7_units(text)


@given(st.text())
def test_ucs2_round_trip(text: str) -> None:
    assert decode_ucs2(encode_ucs2(text)) == text


@given(st.binary())
def test_decode_gsm7_of_any_bytes_is_str_or_value_error(data: bytes) -> None:
    try:
        text = decode_gsm7(data)
    except ValueError:
        assert max(data) > 0x7F
    else:
        assert isinstance(text, str)


@given(st.binary())
def test_decode_ucs2_of_any_bytes_is_str_or_value_error(data: bytes) -> None:
    try:
        text = decode_ucs2(data)
    except ValueError:
        pass
    else:
        assert isinstance(text, str)


@given(bodies(), st.booleans())
def test_segments_are_greedy_and_rebuild_the_text(body: str, smart: bool) -> None:
    result = analyse(body, smart=smart)
    enc = result.encoding
    single, multi = (160, 153) if enc is Encoding.GSM7 else (70, 67)

    assert "".join(result.segments) == result.text
    assert result.characters == len(result.text)
    assert result.units == units_of(result.text, enc)
    assert all(result.segments)
    assert bool(result.segments) == bool(result.text)
    assert (len(result.segments) > 1) == (result.units > single)
    assert result.units_per_segment == (single if result.units <= single else multi)
    for segment in result.segments:
        assert units_of(segment, enc) <= result.units_per_segment
    for segment, following in zip(result.segments, result.segments[1:], strict=False):
        assert units_of(segment, enc) + cost_of(following[0], enc) > result.units_per_segment


@given(bodies())
def test_smart_replaces_only_to_reach_gsm7(body: str) -> None:
    smart, plain = analyse(body), analyse(body, smart=False)
    assert plain.text == body
    assert plain.replacements == ()
    assert plain.encoding is (Encoding.GSM7 if is_gsm7(body) else Encoding.UCS2)
    if smart.replacements:
        assert smart.encoding is Encoding.GSM7
        assert plain.encoding is Encoding.UCS2
        assert smart.text == "".join(SMART_REPLACEMENTS.get(char, char) for char in body)
        originals = dict.fromkeys(char for char in body if char in SMART_REPLACEMENTS)
        assert smart.replacements == tuple((c, SMART_REPLACEMENTS[c]) for c in originals)
    else:
        assert smart == plain


@given(bodies())
def test_segment_payloads_fit_a_short_message(body: str) -> None:
    result = analyse(body)
    payloads = segment_payloads(result)
    multipart = len(payloads) > 1
    if result.encoding is Encoding.GSM7:
        limit = 153 if multipart else 160
        decoded = tuple(map(decode_gsm7, payloads))
    else:
        limit = 134 if multipart else 140
        decoded = tuple(map(decode_ucs2, payloads))
    assert decoded == result.segments
    assert all(len(payload) <= limit for payload in payloads)

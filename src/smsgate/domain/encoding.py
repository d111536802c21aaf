"""How a message body goes over the air: GSM-7 or UCS-2, and how it splits into segments.

The rules come from 3GPP TS 23.038 (formerly GSM 03.38) and TS 23.040 (formerly GSM 03.40):

- A short message carries 140 octets of user data. In the GSM 7-bit default alphabet that is
  160 septets; anything outside that alphabet forces the whole message into UCS-2, where the
  140 octets hold only 70 UTF-16 code units. One curly quote pasted from a word processor
  would more than halve the capacity, which is why "smart" encoding swaps such look-alikes
  for their GSM-7 equivalents first (and only when that actually makes the body GSM-7).
- The extension table (reached through the escape code 0x1B) holds ten more characters
  such as ``€`` and ``{``; each costs two septets.
- A longer body is sent as a concatenated message: every part carries a 6-octet user data
  header, which leaves 153 septets (GSM-7) or 67 code units (UCS-2) per segment. A handset
  renders each part on its own until the rest arrive, so a part must never end halfway
  through an escape sequence or a UTF-16 surrogate pair.

Septets are handled unpacked, one per octet, as SMPP data_coding 0 carries them; packing
into 7-bit words is the radio layer's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "SMART_REPLACEMENTS",
    "EncodedBody",
    "Encoding",
    "analyse",
    "decode_gsm7",
    "decode_ucs2",
    "encode_gsm7",
    "encode_ucs2",
    "gsm7_units",
    "is_gsm7",
    "segment_payloads",
]

_ESC: Final = "\x1b"

# TS 23.038 clause 6.2.1, indexed by septet value, one row of the spec's table per line.
# 0x1B is the escape to the extension table, not a character; it holds a placeholder here.
_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# TS 23.038 clause 6.2.1.1: the default alphabet extension table, septet after 0x1B -> char.
_EXTENSION_TABLE: Final[dict[int, str]] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

# Characters that are not GSM-7 but have an unmistakable GSM-7 stand-in. "" removes the char.
SMART_REPLACEMENTS: Final[dict[str, str]] = {
    # Quotation marks and primes.
    "\u2018": "'",  # LEFT SINGLE QUOTATION MARK
    "\u2019": "'",  # RIGHT SINGLE QUOTATION MARK
    "\u201a": "'",  # SINGLE LOW-9 QUOTATION MARK
    "\u201b": "'",  # SINGLE HIGH-REVERSED-9 QUOTATION MARK
    "\u201c": '"',  # LEFT DOUBLE QUOTATION MARK
    "\u201d": '"',  # RIGHT DOUBLE QUOTATION MARK
    "\u201e": '"',  # DOUBLE LOW-9 QUOTATION MARK
    "\u201f": '"',  # DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    "\u2032": "'",  # PRIME
    "\u2033": '"',  # DOUBLE PRIME
    "\u00ab": '"',  # LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u00bb": '"',  # RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u2039": "'",  # SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    "\u203a": "'",  # SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    # Dashes and minus.
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u2015": "-",  # HORIZONTAL BAR
    "\u2212": "-",  # MINUS SIGN
    "\u2022": "-",  # BULLET
    "\u2026": "...",  # HORIZONTAL ELLIPSIS
    # Spaces (Unicode category Zs, other than SPACE itself).
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u1680": " ",  # OGHAM SPACE MARK
    "\u2000": " ",  # EN QUAD
    "\u2001": " ",  # EM QUAD
    "\u2002": " ",  # EN SPACE
    "\u2003": " ",  # EM SPACE
    "\u2004": " ",  # THREE-PER-EM SPACE
    "\u2005": " ",  # FOUR-PER-EM SPACE
    "\u2006": " ",  # SIX-PER-EM SPACE
    "\u2007": " ",  # FIGURE SPACE
    "\u2008": " ",  # PUNCTUATION SPACE
    "\u2009": " ",  # THIN SPACE
    "\u200a": " ",  # HAIR SPACE
    "\u202f": " ",  # NARROW NO-BREAK SPACE
    "\u205f": " ",  # MEDIUM MATHEMATICAL SPACE
    "\u3000": " ",  # IDEOGRAPHIC SPACE
    # Invisible characters.
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u200c": "",  # ZERO WIDTH NON-JOINER
    "\u200d": "",  # ZERO WIDTH JOINER
    "\u2060": "",  # WORD JOINER
    "\u00ad": "",  # SOFT HYPHEN
    "\ufeff": "",  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
}

_BASIC_CHARS: Final = frozenset(_BASIC_TABLE) - {_ESC}
_EXTENSION_CHARS: Final = frozenset(_EXTENSION_TABLE.values())


def _class_of(chars: Iterable[str]) -> str:
    """The inside of a regex character class matching exactly `chars`."""
    return "".join(map(re.escape, sorted(chars)))


_NON_BASIC: Final = re.compile(f"[^{_class_of(_BASIC_CHARS)}]")
_NON_GSM7: Final = re.compile(f"[^{_class_of(_BASIC_CHARS | _EXTENSION_CHARS)}]")
_EXTENSION: Final = re.compile(f"[{_class_of(_EXTENSION_CHARS)}]")

_ENCODE_GSM7: Final[dict[int, str]] = {
    **{ord(char): chr(code) for code, char in enumerate(_BASIC_TABLE) if char != _ESC},
    **{ord(char): _ESC + chr(code) for code, char in _EXTENSION_TABLE.items()},
}
_DECODE_BASIC: Final[dict[int, str]] = {code: char for code, char in enumerate(_BASIC_TABLE)}
# TS 23.038 6.2.1.1: a receiver shows an undefined escaped code as the basic-table character,
# and 0x1B 0x1B (reserved for a further extension table) as a space.
_DECODE_ESCAPED: Final[tuple[str, ...]] = tuple(
    " " if code == 0x1B else _EXTENSION_TABLE.get(code, char)
    for code, char in enumerate(_BASIC_TABLE)
)

_SMART_TABLE: Final = str.maketrans(SMART_REPLACEMENTS)
_SMART: Final = re.compile(f"[{_class_of(SMART_REPLACEMENTS)}]")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """What `analyse` decided: the text to send, its encoding, and how it splits."""

    text: str
    """The body actually sent, after smart replacement."""
    encoding: Encoding
    segments: tuple[str, ...]
    """The text of each segment as a carrier receives it; empty for an empty body."""
    characters: int
    """Code points in `text` (Python `len`)."""
    units: int
    """GSM-7: septets, extension characters counting 2. UCS-2: UTF-16 code units."""
    units_per_segment: int
    """160 or 153 (GSM-7), 70 or 67 (UCS-2), depending on single or multipart."""
    replacements: tuple[tuple[str, str], ...]
    """(original, replacement) pairs smart encoding applied, in order of first appearance."""


def analyse(body: str, *, smart: bool = True) -> EncodedBody:
    """Choose the encoding for `body` and split it into segments.

    With `smart`, look-alikes are replaced from SMART_REPLACEMENTS, but only if that makes the
    whole body GSM-7; otherwise the original body goes out as UCS-2 untouched.
    Raises ValueError if `body` contains a lone surrogate (it has no UTF-16 form).
    """
    units = _septets(body)
    if units is not None:
        return _gsm7_body(body, units, ())
    if smart and _SMART.search(body):
        replaced = body.translate(_SMART_TABLE)
        units = _septets(replaced)
        if units is not None:
            return _gsm7_body(replaced, units, _replacements_in(body))
    return _ucs2_body(body)


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM-7 basic or extension table."""
    return _NON_GSM7.search(text) is None


def gsm7_units(text: str) -> int:
    """Septets needed for `text`; extension characters count 2. ValueError if not GSM-7."""
    units = _septets(text)
    if units is None:
        raise _not_gsm7_error(text)
    return units


def encode_gsm7(text: str) -> bytes:
    """Unpacked GSM-7: one septet per byte, extension characters as 0x1B then their code."""
    if not is_gsm7(text):
        raise _not_gsm7_error(text)
    return text.translate(_ENCODE_GSM7).encode("ascii")


def decode_gsm7(data: bytes) -> str:
    """Inverse of encode_gsm7, lenient about escapes the way TS 23.038 asks a receiver to be.

    A trailing lone 0x1B decodes as a space. Raises ValueError on a byte above 0x7F.
    """
    if not data.isascii():
        offset = next(i for i, byte in enumerate(data) if byte > 0x7F)
        raise ValueError(
            f"byte 0x{data[offset]:02X} at offset {offset} is not a GSM-7 septet (above 0x7F)"
        )
    septets = data.decode("ascii")
    parts: list[str] = []
    start = 0
    while (escape := septets.find(_ESC, start)) != -1:
        parts.append(septets[start:escape].translate(_DECODE_BASIC))
        code = septets[escape + 1 : escape + 2]
        parts.append(_DECODE_ESCAPED[ord(code)] if code else " ")
        start = escape + 2
    parts.append(septets[start:].translate(_DECODE_BASIC))
    return "".join(parts)


def encode_ucs2(text: str) -> bytes:
    """UTF-16-BE, which is what carriers accept as "UCS-2" (data_coding 8)."""
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"lone surrogate U+{ord(text[exc.start]):04X} at index {exc.start} "
            "cannot be encoded as UTF-16"
        ) from exc


def decode_ucs2(data: bytes) -> str:
    """Decode UTF-16-BE. ValueError on an odd length or an unpaired surrogate."""
    if len(data) % 2:
        raise ValueError(f"UCS-2 data must have an even number of bytes, got {len(data)}")
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"UCS-2 data has an unpaired UTF-16 surrogate at byte offset {exc.start}"
        ) from exc


def segment_payloads(encoded: EncodedBody) -> tuple[bytes, ...]:
    """The encoded bytes of each segment, without any user data header."""
    encode = encode_gsm7 if encoded.encoding is Encoding.GSM7 else encode_ucs2
    return tuple(map(encode, encoded.segments))


def _septets(text: str) -> int | None:
    if _NON_BASIC.search(text) is None:
        return len(text)
    if _NON_GSM7.search(text) is not None:
        return None
    return len(text) + len(_EXTENSION.findall(text))


def _not_gsm7_error(text: str) -> ValueError:
    match = _NON_GSM7.search(text)
    assert match is not None
    char = match.group()
    return ValueError(
        f"character {char!r} (U+{ord(char):04X}) at index {match.start()} "
        "is not in the GSM-7 alphabet"
    )


def _replacements_in(body: str) -> tuple[tuple[str, str], ...]:
    originals = dict.fromkeys(_SMART.findall(body))
    return tuple((char, SMART_REPLACEMENTS[char]) for char in originals)


def _gsm7_body(text: str, units: int, replacements: tuple[tuple[str, str], ...]) -> EncodedBody:
    limit, segments = _segment(
        text, units, _GSM7_SINGLE, _GSM7_MULTI, _EXTENSION_CHARS.__contains__
    )
    return EncodedBody(text, Encoding.GSM7, segments, len(text), units, limit, replacements)


def _ucs2_body(text: str) -> EncodedBody:
    units = len(encode_ucs2(text)) // 2
    limit, segments = _segment(text, units, _UCS2_SINGLE, _UCS2_MULTI, _is_astral)
    return EncodedBody(text, Encoding.UCS2, segments, len(text), units, limit, ())


def _is_astral(char: str) -> bool:
    return char > "\uffff"


def _segment(
    text: str, units: int, single: int, multi: int, is_double: Callable[[str], bool]
) -> tuple[int, tuple[str, ...]]:
    """Units per segment and the segments; multipart splits greedily, never cutting a
    double-unit character (escape sequence or surrogate pair) in two."""
    if units <= single:
        return single, (text,) if text else ()
    if units == len(text):
        return multi, tuple(text[start : start + multi] for start in range(0, len(text), multi))
    segments: list[str] = []
    start = used = 0
    for index, char in enumerate(text):
        cost = 2 if is_double(char) else 1
        if used + cost > multi:
            segments.append(text[start:index])
            start, used = index, 0
        used += cost
    segments.append(text[start:])
    return multi, tuple(segments)

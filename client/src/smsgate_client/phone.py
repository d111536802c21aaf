"""Turning what people type into E.164 (`+14155552671`), before it goes to the gateway.

    >>> to_e164("(415) 555-2671", region="US")
    '+14155552671'

This is a careful normaliser, not a numbering plan database: the SDK keeps `httpx` as its
only dependency, so it does not bring `phonenumbers`. It knows the North American
Numbering Plan exactly (NPA and NXX start with 2-9, no N11 area code, ten digits after
the 1), and for other countries their calling code, the national trunk prefix to drop
(`0` in most, `8` in Russia, `06` in Hungary, none in Italy or Spain) and E.164's length
limits. Whether a number is in service is the gateway's call: it checks each `to` with
the full `phonenumbers` metadata and answers 21211 if it does not hold.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from smsgate_client._errors import InvalidPhoneNumberError

__all__ = ["REGIONS", "InvalidPhoneNumberError", "to_e164"]

_NANP = "NANP"
_NANP_REGIONS = [
    "US",
    "CA",
    "PR",
    "VI",
    "GU",
    "AS",
    "MP",
    "BS",
    "BB",
    "JM",
    "TT",
    "DO",
    "AG",
    "DM",
    "GD",
    "KN",
    "LC",
    "VC",
    "BM",
    "KY",
    "TC",
    "VG",
    "AI",
    "MS",
    "SX",
]
# region -> (country calling code, national trunk prefix to drop or None)
REGIONS: Final[dict[str, tuple[str, str | None]]] = {
    **{region: ("1", _NANP) for region in _NANP_REGIONS},
    "GB": ("44", "0"), "IE": ("353", "0"), "FR": ("33", "0"), "DE": ("49", "0"),
    "ES": ("34", None), "IT": ("39", None), "PT": ("351", None), "NL": ("31", "0"),
    "BE": ("32", "0"), "CH": ("41", "0"), "AT": ("43", "0"), "SE": ("46", "0"),
    "NO": ("47", None), "DK": ("45", None), "FI": ("358", "0"), "PL": ("48", None),
    "CZ": ("420", None), "GR": ("30", None), "HU": ("36", "06"), "RO": ("40", "0"),
    "RU": ("7", "8"), "UA": ("380", "0"), "TR": ("90", "0"), "IL": ("972", "0"),
    "AE": ("971", "0"), "SA": ("966", "0"), "IN": ("91", "0"), "PK": ("92", "0"),
    "CN": ("86", "0"), "JP": ("81", "0"), "KR": ("82", "0"), "SG": ("65", None),
    "HK": ("852", None), "AU": ("61", "0"), "NZ": ("64", "0"), "ZA": ("27", "0"),
    "NG": ("234", "0"), "KE": ("254", "0"), "EG": ("20", "0"), "BR": ("55", "0"),
    "MX": ("52", None), "AR": ("54", "0"), "CL": ("56", None), "CO": ("57", None),
    "PE": ("51", "0"), "PH": ("63", "0"), "ID": ("62", "0"), "MY": ("60", "0"),
    "TH": ("66", "0"), "VN": ("84", "0"),
}  # fmt: skip
_SEPARATORS = frozenset(" \t\u00a0-.()/")
_MIN_DIGITS, _MAX_DIGITS = 7, 15  # E.164: at most 15 digits, country code included


def to_e164(number: str, region: str | None = None) -> str:
    """`number` in E.164 form.

    Args:
        number: as typed: `+44 20 7946 0958`, `(415) 555-2671`, `0044 20…`, `011 44 20…`.
        region: ISO 3166 code (`US`, `GB`, …) for numbers written without `+` and country
            code; not needed when the number starts with `+`.

    Raises:
        InvalidPhoneNumberError: with `.reason`, a sentence that says what to fix.
    """
    text = number.strip()
    if not text:
        raise InvalidPhoneNumberError(number, "it is empty.")
    is_international = text.startswith("+")
    digits = _digits(number, text[1:] if is_international else text)
    if not is_international:
        if region is None:
            raise InvalidPhoneNumberError(
                number,
                "it has no country code; write it with + and the country code "
                "(+14155552671), or pass region= (e.g. region='US').",
            )
        country, trunk = _region(number, region)
        exit_code = "011" if trunk == _NANP else "00"
        if digits.startswith(exit_code):
            digits = digits[len(exit_code) :]
        elif trunk == _NANP:
            digits = _nanp_national(number, digits)
        else:
            if trunk is not None and digits.startswith(trunk):
                digits = digits[len(trunk) :]
            digits = country + digits
    return "+" + _checked(number, digits)


def _digits(number: str, text: str) -> str:
    digits = []
    for char in text:
        if char.isdecimal():
            digits.append(str(unicodedata.decimal(char)))
        elif char not in _SEPARATORS:
            what = "a letter" if char.isalpha() else f"the character {char!r}"
            raise InvalidPhoneNumberError(
                number, f"it contains {what}; use digits, spaces, dashes and brackets only."
            )
    if not digits:
        raise InvalidPhoneNumberError(number, "it has no digits.")
    return "".join(digits)


def _region(number: str, region: str) -> tuple[str, str | None]:
    found = REGIONS.get(region.upper())
    if found is None:
        raise InvalidPhoneNumberError(
            number,
            f"region {region!r} is not one to_e164 knows; write the number with + and its "
            "country code instead.",
        )
    return found


def _nanp_national(number: str, digits: str) -> str:
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if len(digits) != 10:
        raise InvalidPhoneNumberError(
            number, f"a North American number has 10 digits (area code first), not {len(digits)}."
        )
    return "1" + digits


def _checked(number: str, digits: str) -> str:
    if digits.startswith("0"):
        raise InvalidPhoneNumberError(number, "a country code never starts with 0.")
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        raise InvalidPhoneNumberError(
            number,
            f"it has {len(digits)} digits with the country code; E.164 numbers have "
            f"{_MIN_DIGITS} to {_MAX_DIGITS}.",
        )
    if digits.startswith("1"):
        _check_nanp(number, digits[1:])
    return digits


def _check_nanp(number: str, national: str) -> None:
    if len(national) != 10:
        raise InvalidPhoneNumberError(
            number, f"+1 numbers have 10 digits after the 1, not {len(national)}."
        )
    area, exchange = national[:3], national[3:6]
    if area[0] in "01" or area[1:] == "11":
        raise InvalidPhoneNumberError(
            number, f"{area} is not a North American area code (2-9, then not 11)."
        )
    if exchange[0] in "01":
        raise InvalidPhoneNumberError(
            number, f"the exchange {exchange} after the area code must start with 2-9."
        )

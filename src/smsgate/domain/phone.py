"""Destination numbers: strict E.164, checked with `phonenumbers`.

We accept only E.164 (`+` and 8 to 15 digits) so that one handset has one spelling in the
store. When the input is a number in another form, the error gives its E.164 spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from smsgate.errors import InvalidToError

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

# Types that can receive a text. FIXED_LINE_OR_MOBILE covers NANP, where the two cannot be
# told apart from the number alone.
_TEXTABLE = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.VOIP,
        PhoneNumberType.PAGER,
    }
)

_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
}


@dataclass(frozen=True, slots=True)
class Destination:
    e164: str
    country: str  # ISO 3166-1 alpha-2, e.g. "US"


def parse_destination(value: str, *, field: str = "to") -> Destination:
    """Check that `value` is an E.164 number a text can reach.

    Raises InvalidToError (21211) with a sentence that says what is wrong and, when the
    input is a number written another way, its E.164 form.
    """
    result = _parse_cached(value)
    if isinstance(result, str):
        raise InvalidToError(result, field=field)
    return result


@lru_cache(maxsize=65_536)
def _parse_cached(value: str) -> Destination | str:
    if not _E164.fullmatch(value):
        return _not_e164(value)
    try:
        number = phonenumbers.parse(value, None)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return f"'{value}' is not a valid phone number: no numbering plan assigns it."
    kind = phonenumbers.number_type(number)
    if kind not in _TEXTABLE:
        what = _TYPE_NAMES.get(kind, "not a mobile number")
        return f"'{value}' is {what} and cannot receive text messages."
    region = phonenumbers.region_code_for_number(number) or "ZZ"
    return Destination(e164=value, country=region)


def _not_e164(value: str) -> str:
    stripped = value.strip()
    candidate = stripped if stripped.startswith("+") else None
    if stripped.startswith("00"):
        candidate = "+" + stripped[2:]
    if candidate is not None:
        try:
            number = phonenumbers.parse(candidate, None)
        except NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return f"'{value}' is not in E.164 form; write it as '{e164}'."
    return (
        f"'{value}' is not an E.164 phone number: write '+', the country code and the "
        "number, digits only, e.g. '+14155552671'."
    )

"""The numbers an account sends from: their types, and each type's sending rate.

Four kinds of sender reach handsets: an E.164 long code, an E.164 toll-free number, a
short code (3 to 8 digits, one country's networks only) and an alphanumeric sender ID
(send-only). The kind decides how fast carriers let us send from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from smsgate.errors import InvalidFromError

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
# GSM 03.40 TP-OA: up to 11 characters; at least one letter so it is not read as a number.
_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
MAX_MPS = 10_000


class NumberType(StrEnum):
    LONG_CODE = "long_code"
    TOLL_FREE = "toll_free"
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"


# Messages per second carriers usually allow from one sender of each type (US A2P figures:
# a 10DLC long code 1, toll-free 3, a short code 100; alphanumeric senders are abroad).
_DEFAULT_MPS = {
    NumberType.LONG_CODE: 1,
    NumberType.TOLL_FREE: 3,
    NumberType.SHORT_CODE: 100,
    NumberType.ALPHANUMERIC: 10,
}


def default_mps(number_type: NumberType) -> int:
    """The messages-per-second cap of a number of `number_type` with no cap of its own."""
    return _DEFAULT_MPS[number_type]


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    value: str
    type: NumberType


def parse_number(value: str, number_type: NumberType | None = None) -> ParsedNumber:
    """Check a number being registered, and infer its type when not given.

    E.164 numbers must be assigned by a numbering plan; phonenumbers says which are
    toll-free. Raises InvalidFromError (21212, field "number") when `value` is none of
    the four forms, or not of the form `number_type` asks for.
    """
    inferred = infer_number_type(value)
    if inferred is None:
        raise InvalidFromError(
            f"'{value}' is not a number smsgate can send from: give an E.164 number "
            "('+14155550100'), a short code of 3 to 8 digits ('12345') or an alphanumeric "
            "sender ID of 1 to 11 letters, digits or spaces with at least one letter ('ACME').",
            field="number",
        )
    if number_type is None:
        return ParsedNumber(value, inferred)
    compatible = {
        NumberType.LONG_CODE: {NumberType.LONG_CODE, NumberType.TOLL_FREE},
        NumberType.TOLL_FREE: {NumberType.LONG_CODE, NumberType.TOLL_FREE},
        NumberType.SHORT_CODE: {NumberType.SHORT_CODE},
        NumberType.ALPHANUMERIC: {NumberType.ALPHANUMERIC},
    }
    if number_type not in compatible[inferred]:
        raise InvalidFromError(
            f"'{value}' cannot be a {number_type.value.replace('_', ' ')}: it reads as a "
            f"{inferred.value.replace('_', ' ')}. Leave 'type' out to have it inferred.",
            field="type",
        )
    return ParsedNumber(value, number_type)


def infer_number_type(value: str) -> NumberType | None:
    """The type `value` reads as, or None when it is none of the four forms."""
    if _E164.fullmatch(value):
        try:
            number = phonenumbers.parse(value, None)
        except NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        if phonenumbers.number_type(number) == PhoneNumberType.TOLL_FREE:
            return NumberType.TOLL_FREE
        return NumberType.LONG_CODE
    if _SHORT_CODE.fullmatch(value):
        return NumberType.SHORT_CODE
    if _ALPHANUMERIC.fullmatch(value) and value == value.strip():
        return NumberType.ALPHANUMERIC
    return None

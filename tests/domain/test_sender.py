"""Who a message is from: an E.164 number or an alphanumeric sender ID."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.sender import Sender, parse_sender
from smsgate.errors import ErrorCode, InvalidFromError


@pytest.mark.parametrize("value", ["+14155552671", "+15005550006", "+447400123456", "+1234567"])
def test_e164_numbers_are_number_senders(value: str) -> None:
    assert parse_sender(value) == Sender(value, "number")


@pytest.mark.parametrize(
    "value", ["A", "Acme", "Acme Co", "ACME2FA", "1a", "ABCDEFGHIJK", "12345678 9Z", "a b"]
)
def test_alphanumeric_sender_ids_of_1_to_11_with_a_letter(value: str) -> None:
    assert parse_sender(value) == Sender(value, "alphanumeric")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ABCDEFGHIJKL",  # 12 characters
        "12",  # no letter, and too short for a short code
        "123456789",  # no letter, and too long for a short code
        "   ",
        " Acme",
        "Acme ",
        "Acme-Co",
        "Acme!",
        "Ünïcode",
        "ACME\n",
        "+1415",  # too short for E.164, and '+' is not alphanumeric
        "+01415555267",  # E.164 has no leading zero
        "14155552671",
    ],
)
def test_anything_else_is_refused_with_the_rule(value: str) -> None:
    with pytest.raises(InvalidFromError) as caught:
        parse_sender(value)
    assert caught.value.field == "from"
    assert caught.value.code == ErrorCode.INVALID_FROM
    assert caught.value.detail == (
        f"'{value}' is neither an E.164 number (like '+14155552671'), a short code (3 to 8 "
        "digits) nor an alphanumeric sender ID (1 to 11 letters, digits or spaces, at least "
        "one letter)."
    )


@pytest.mark.parametrize("value", ["123", "12345", "87654321"])
def test_short_codes_of_3_to_8_digits_are_owned_senders(value: str) -> None:
    sender = parse_sender(value)
    assert sender == Sender(value, "short_code")
    assert sender.is_owned_number


@given(st.text(alphabet="abcXYZ019 ", min_size=0, max_size=14))
def test_alphanumeric_rule_matches_its_description(value: str) -> None:
    valid = 1 <= len(value) <= 11 and any(c.isalpha() for c in value) and value == value.strip()
    short_code = value.isdigit() and 3 <= len(value) <= 8
    try:
        sender = parse_sender(value)
    except InvalidFromError:
        assert not valid
        assert not short_code
    else:
        assert valid or short_code
        assert sender == Sender(value, "alphanumeric" if valid else "short_code")

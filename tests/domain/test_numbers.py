"""Number types: inferred from the number, checked when given, and their default rates."""

from __future__ import annotations

import pytest

from smsgate.domain.numbers import NumberType, default_mps, parse_number
from smsgate.errors import ErrorCode, InvalidFromError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+14155550100", NumberType.LONG_CODE),
        ("+15005550006", NumberType.LONG_CODE),
        ("+447400123456", NumberType.LONG_CODE),
        ("+18005550100", NumberType.TOLL_FREE),
        ("+18885550100", NumberType.TOLL_FREE),
        ("12345", NumberType.SHORT_CODE),
        ("123", NumberType.SHORT_CODE),
        ("87654321", NumberType.SHORT_CODE),
        ("ACME", NumberType.ALPHANUMERIC),
        ("Acme Co", NumberType.ALPHANUMERIC),
    ],
)
def test_type_is_inferred(value: str, expected: NumberType) -> None:
    assert parse_number(value).type is expected


@pytest.mark.parametrize(
    "value", ["", "12", "123456789", "+99912345678", "+1415", "ABCDEFGHIJKL", " ACME", "Acme!"]
)
def test_what_is_no_sender_is_refused(value: str) -> None:
    with pytest.raises(InvalidFromError) as caught:
        parse_number(value)
    assert caught.value.code == ErrorCode.INVALID_FROM
    assert caught.value.field == "number"


def test_a_given_type_must_fit_the_number() -> None:
    assert parse_number("+14155550100", NumberType.TOLL_FREE).type is NumberType.TOLL_FREE
    with pytest.raises(InvalidFromError) as caught:
        parse_number("12345", NumberType.LONG_CODE)
    assert caught.value.field == "type"
    assert "short code" in caught.value.detail
    with pytest.raises(InvalidFromError):
        parse_number("+14155550100", NumberType.ALPHANUMERIC)


def test_each_type_has_its_default_rate() -> None:
    assert {t: default_mps(t) for t in NumberType} == {
        NumberType.LONG_CODE: 1,
        NumberType.TOLL_FREE: 3,
        NumberType.SHORT_CODE: 100,
        NumberType.ALPHANUMERIC: 10,
    }

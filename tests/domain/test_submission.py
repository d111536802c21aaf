"""plan_message: a send request in, what will be sent (or the first problem) out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from smsgate.domain.encoding import Encoding
from smsgate.domain.pricing import PriceTable
from smsgate.domain.submission import MAX_BODY_CHARACTERS, MAX_VALIDITY_PERIOD, plan_message
from smsgate.errors import (
    BodyTooLongError,
    EmptyBodyError,
    InvalidFromError,
    InvalidParameterError,
    InvalidToError,
    ValidationError,
)

PRICES = PriceTable(currency="USD", default=Decimal("0.0500"), by_country={"US": Decimal("0.0079")})
GOOD: dict[str, Any] = {
    "to": "+14155552671",
    "from_": "+15005550006",
    "body": "Your code is 123456",
    "validity_period": None,
}


def plan(**fields: Any) -> Any:
    return plan_message(
        **(GOOD | fields), default_validity_period=3600, smart_encoding=True, prices=PRICES
    )


def test_good_request_is_planned_and_priced() -> None:
    result = plan()
    assert result.destination.e164 == "+14155552671"
    assert result.destination.country == "US"
    assert (result.sender.value, result.sender.kind) == ("+15005550006", "number")
    assert result.encoded.encoding == Encoding.GSM7
    assert result.encoded.segments == ("Your code is 123456",)
    assert (result.price, result.price_unit) == (Decimal("0.0079"), "USD")
    assert result.validity_period == 3600  # the default
    assert result.smart_encoding is True


def test_price_is_per_segment_and_by_country() -> None:
    assert plan(body="x" * 161).price == Decimal("0.0158")
    assert plan(to="+447400123456").price == Decimal("0.0500")


def test_smart_encoding_off_keeps_the_body_as_given() -> None:
    result = plan_message(
        **(GOOD | {"body": "It\u2019s"}),
        default_validity_period=60,
        smart_encoding=False,
        prices=PRICES,
    )
    assert result.encoded.encoding == Encoding.UCS2
    assert result.encoded.text == "It\u2019s"
    assert result.smart_encoding is False


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        # Every field wrong: the first one a person would fix is reported.
        ({"to": "nope", "from_": "!", "body": "", "validity_period": 0}, InvalidToError, "to"),
        ({"from_": "!", "body": "", "validity_period": 0}, InvalidFromError, "from"),
        ({"body": "", "validity_period": 0}, EmptyBodyError, "body"),
        ({"body": "x" * 1601, "validity_period": 0}, BodyTooLongError, "body"),
        ({"validity_period": 0}, InvalidParameterError, "validity_period"),
        # Body problems found by encoding still come before validity_period.
        ({"body": "\u200b", "validity_period": 0}, EmptyBodyError, "body"),
        ({"body": "a\ud800b", "validity_period": 0}, InvalidParameterError, "body"),
    ],
)
def test_errors_come_in_the_order_to_from_body_validity(
    fields: dict[str, Any], error: type[ValidationError], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(**fields)
    assert type(caught.value) is error
    assert caught.value.field == field


@pytest.mark.parametrize("seconds", [1, 60, MAX_VALIDITY_PERIOD])
def test_validity_period_within_bounds_is_kept(seconds: int) -> None:
    assert plan(validity_period=seconds).validity_period == seconds


@pytest.mark.parametrize("seconds", [0, -1, MAX_VALIDITY_PERIOD + 1])
def test_validity_period_out_of_bounds_is_refused(seconds: int) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        plan(validity_period=seconds)
    assert caught.value.detail == (
        f"validity_period is {seconds}; give a number of seconds from 1 to 36000 (10 hours)."
    )


def test_body_of_the_maximum_length_is_accepted_and_one_more_is_refused() -> None:
    assert len(plan(body="x" * MAX_BODY_CHARACTERS).encoded.segments) == 11
    with pytest.raises(BodyTooLongError, match=r"^The body has 1601 characters; the most"):
        plan(body="x" * (MAX_BODY_CHARACTERS + 1))


def test_empty_body_is_refused() -> None:
    with pytest.raises(EmptyBodyError) as caught:
        plan(body="")
    assert caught.value.detail == "The message body is empty; give the text to send."


def test_body_empty_after_smart_encoding_is_refused() -> None:
    with pytest.raises(EmptyBodyError) as caught:
        plan(body="\u200b\u200d\ufeff")
    assert caught.value.detail == (
        "The body holds only invisible characters; give the text to send."
    )
    assert caught.value.field == "body"


def test_lone_surrogate_body_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        plan(body="a\ud800b")
    assert caught.value.field == "body"
    assert caught.value.detail.startswith("The body cannot be sent: lone surrogate U+D800")

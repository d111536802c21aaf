"""Destination numbers: strict E.164, with the E.164 spelling suggested for other forms."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.api.messages import SendRequest
from smsgate.domain.phone import Destination, parse_destination
from smsgate.errors import ErrorCode, InvalidToError


@pytest.mark.parametrize(
    ("value", "country"),
    [
        ("+14155552671", "US"),
        ("+15005550006", "US"),
        ("+447400123456", "GB"),
        ("+33612345678", "FR"),
        ("+4915123456789", "DE"),
    ],
)
def test_textable_e164_numbers_are_accepted(value: str, country: str) -> None:
    assert parse_destination(value) == Destination(e164=value, country=country)


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("+1 (415) 555-2671", "+14155552671"),
        ("+1-415-555-2671", "+14155552671"),
        ("0044 7400 123456", "+447400123456"),
        ("00447400123456", "+447400123456"),
        (" +14155552671", "+14155552671"),
        ("+14155552671 ", "+14155552671"),
    ],
)
def test_a_number_written_another_way_gets_its_e164_spelling(value: str, suggestion: str) -> None:
    with pytest.raises(InvalidToError) as caught:
        parse_destination(value)
    assert caught.value.detail == f"'{value}' is not in E.164 form; write it as '{suggestion}'."
    assert caught.value.field == "to"
    assert caught.value.code == ErrorCode.INVALID_TO


@pytest.mark.parametrize("value", ["", "hello", "14155552671", "(415) 555-2671", "+1234", "++1415"])
def test_non_e164_input_gets_the_general_sentence(value: str) -> None:
    with pytest.raises(InvalidToError) as caught:
        parse_destination(value)
    assert caught.value.detail == (
        f"'{value}' is not an E.164 phone number: write '+', the country code and the "
        "number, digits only, e.g. '+14155552671'."
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("+442079460000", "a landline"),
        ("+18005550100", "a toll-free number"),
        ("+80012345678", "a toll-free number"),
        ("+449012345678", "a premium-rate number"),
        ("+443001234567", "a universal access number"),
    ],
)
def test_numbers_that_cannot_receive_texts_are_refused(value: str, what: str) -> None:
    with pytest.raises(InvalidToError) as caught:
        parse_destination(value)
    assert caught.value.detail == f"'{value}' is {what} and cannot receive text messages."


@pytest.mark.parametrize("value", ["+999123456789", "+4479111234567", "+10005550100"])
def test_unassigned_numbers_are_refused(value: str) -> None:
    with pytest.raises(InvalidToError) as caught:
        parse_destination(value)
    assert caught.value.detail == (
        f"'{value}' is not a valid phone number: no numbering plan assigns it."
    )


def test_field_name_is_the_callers() -> None:
    with pytest.raises(InvalidToError) as caught:
        parse_destination("+1234", field="number")
    assert caught.value.field == "number"


@settings(deadline=None, max_examples=300)
@given(st.one_of(st.text(), st.from_regex(r"(\+|00)?[0-9 ()-]{0,18}", fullmatch=True)))
def test_any_text_is_a_destination_or_invalid_to(value: str) -> None:
    outcome: Destination | InvalidToError
    try:
        outcome = parse_destination(value)
    except InvalidToError as exc:
        outcome = exc
    if isinstance(outcome, InvalidToError):
        assert outcome.detail.startswith(f"'{value}' is ")
        assert outcome.field == "to"
    else:
        assert outcome.e164 == value
        assert len(outcome.country) == 2


@pytest.mark.parametrize("to", [14155552671, None, ["+14155552671"], {"n": 1}, True])
def test_non_strings_never_reach_it(to: object) -> None:
    # parse_destination takes str only; the request decoder refuses any other JSON type.
    payload = msgspec.json.encode({"to": to, "from": "+15005550006", "body": "hi"})
    with pytest.raises(msgspec.ValidationError, match=r"Expected `str`.*\$\.to"):
        msgspec.json.decode(payload, type=SendRequest)

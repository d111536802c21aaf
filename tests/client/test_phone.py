"""`phone.to_e164`: numbers as people type them, checked against `phonenumbers` where
both have an answer, and properties that hold for any text."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smsgate_client import InvalidPhoneNumberError
from smsgate_client.phone import REGIONS, to_e164

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("1 415 555 2671", "US", "+14155552671"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("00 33 1 42 68 53 00", "GB", "+33142685300"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("06 30 123 4567", "HU", "+36301234567"),
        ("02 1234 5678", "IT", "+390212345678"),
        ("+49 30 901820", None, "+4930901820"),
        ("\uff14\uff11\uff15 \uff15\uff15\uff15 \uff12\uff16\uff17\uff11", "US", "+14155552671"),
    ],
)
def test_typed_numbers_become_e164(typed: str, region: str | None, expected: str) -> None:
    assert to_e164(typed, region=region) == expected


@pytest.mark.parametrize(
    ("typed", "region", "reason"),
    [
        ("", "US", "empty"),
        ("415 555 2671", None, "pass region="),
        ("415-CALL-NOW", "US", "a letter"),
        ("555 2671", "US", "10 digits"),
        ("(115) 555-2671", "US", "not a North American area code"),
        ("(911) 555-2671", "US", "not a North American area code"),
        ("(415) 055-2671", "US", "must start with 2-9"),
        ("+1 415 555 26711", None, "10 digits after the 1"),
        ("+44 1234567890123456", None, "7 to 15"),
        ("020 7946 0958", "XX", "region 'XX'"),
        ("+0 20 7946 0958", None, "never starts with 0"),
        ("415 555 2671 ext 12", "US", "a letter"),
    ],
)
def test_what_cannot_be_a_number_is_refused_with_its_reason(
    typed: str, region: str | None, reason: str
) -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        to_e164(typed, region=region)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)


area = st.from_regex(r"[2-9][0-9]{2}", fullmatch=True).filter(lambda a: a[1:] != "11")
exchange = st.from_regex(r"[2-9][0-9]{2}", fullmatch=True)
line = st.from_regex(r"[0-9]{4}", fullmatch=True)
styles = st.sampled_from(
    ["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "1 {a} {e} {l}", "+1 {a} {e} {l}",
     "+1{a}{e}{l}", " {a}/{e}-{l} ", "1-{a}-{e}-{l}"]
)  # fmt: skip


@given(area, exchange, line, styles)
def test_any_nanp_number_in_any_usual_style_is_the_same_e164(
    a: str, e: str, line_: str, style: str
) -> None:
    assert to_e164(style.format(a=a, e=e, l=line_), region="US") == f"+1{a}{e}{line_}"


@given(area, exchange, line)
def test_where_phonenumbers_calls_a_us_number_valid_we_agree(a: str, e: str, line_: str) -> None:
    parsed = phonenumbers.parse(f"({a}) {e}-{line_}", "US")
    assume(phonenumbers.is_valid_number(parsed))
    expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert to_e164(f"({a}) {e}-{line_}", region="US") == expected


@given(st.text(max_size=30), st.sampled_from([None, *REGIONS]))
def test_any_text_gives_e164_or_our_error(text: str, region: str | None) -> None:
    try:
        result = to_e164(text, region=region)
    except InvalidPhoneNumberError as exc:
        reason = exc.reason
        assert reason
        return
    assert E164.fullmatch(result), result
    assert to_e164(result) == result  # already E.164: unchanged

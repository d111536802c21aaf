"""Content checks: what carriers' filters dislike, found before sending."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.content import check_content


def codes(body: str, *, marketing: bool = False) -> list[str]:
    return [w.code for w in check_content(body, marketing=marketing)]


def test_a_plain_message_has_no_warnings() -> None:
    assert check_content("Your code is 123456. It expires in 10 minutes.", marketing=False) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Get it FREE today", ["all_caps"]),
        ("Meet at the USA pavilion, OK?", []),  # short acronyms are not shouting
        ("Reply STOP to end, HELP for help", []),  # keywords in capitals are expected
        ("Wow!! Great", ["repeated_exclamation"]),
        ("One! Two! Three!", []),
        ("See https://bit.ly/3abc", ["url_shortener"]),
        ("See bit.ly/3abc and TinyURL.com/x", ["url_shortener"]),
        ("Link: t.co/xyz", ["url_shortener"]),
        ("Visit http://www.goo.gl/abc", ["url_shortener"]),
        ("Mail me at art.com or at.co.uk, or see https://example.com/t.co", []),
        ("Our site is rabbit.ly.example.com", []),
        ("HUGE SALE!! bit.ly/x", ["all_caps", "repeated_exclamation", "url_shortener"]),
    ],
)
def test_each_check(body: str, expected: list[str]) -> None:
    assert codes(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Sale today. Reply STOP to unsubscribe",
        "Sale today. Text stop to opt out",
        "Sale today. Txt STOP to end",
        "Sale today; to opt-out reply 'STOP'",
        "Sale today. Unsubscribe: example.com/u",
    ],
)
def test_marketing_with_opt_out_language_is_fine(body: str) -> None:
    assert codes(body, marketing=True) == []


def test_marketing_without_opt_out_language_is_flagged() -> None:
    (warning,) = check_content("Sale today, 20% off everything", marketing=True)
    assert warning.code == "missing_opt_out"
    assert "Reply STOP" in warning.detail
    assert codes("Sale today, 20% off everything", marketing=False) == []


def test_details_name_what_was_found() -> None:
    details = " ".join(w.detail for w in check_content("FREE CASH at bit.ly/x", marketing=False))
    assert "FREE, CASH" in details
    assert "bit.ly" in details


@given(st.text(max_size=200), st.booleans())
def test_any_text_gives_known_warnings_once_each(body: str, marketing: bool) -> None:
    found = codes(body, marketing=marketing)
    assert set(found) <= {"all_caps", "repeated_exclamation", "url_shortener", "missing_opt_out"}
    assert len(found) == len(set(found))
    assert ("repeated_exclamation" in found) == ("!!" in body)

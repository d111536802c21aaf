"""Keywords: the whole text is one keyword, whatever its case and the punctuation around it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.keywords import DEFAULT_REPLIES, KEYWORD_WORDS, Keyword, match_keyword

STOP_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
START_WORDS = ["START", "UNSTOP", "YES"]
HELP_WORDS = ["HELP", "INFO"]
EXPECTED = (
    dict.fromkeys(STOP_WORDS, Keyword.STOP)
    | dict.fromkeys(START_WORDS, Keyword.START)
    | dict.fromkeys(HELP_WORDS, Keyword.HELP)
)
SURROUNDINGS = st.text(alphabet=" \t\r\n.,!?;:'\"-()…¡¿«»\u00a0\u3000", max_size=6)


@pytest.mark.parametrize(("text", "keyword"), list(EXPECTED.items()))
def test_every_keyword_of_each_kind(text: str, keyword: Keyword) -> None:
    assert match_keyword(text) is keyword


@pytest.mark.parametrize(
    "text",
    [
        "STOP PLEASE",
        "please stop",
        "stop it",
        "STOP STOP",
        "stop 👍",
        "st op",
        "STOPS",
        "S.T.O.P",
        "",
        "   ",
        "!!!",
        "Thanks!",
        "\uff33\uff34\uff2f\uff30",  # fullwidth letters
        "stop2",
        "yes please",
        "helpme",
    ],
)
def test_anything_more_than_the_one_word_is_an_ordinary_message(text: str) -> None:
    assert match_keyword(text) is None


@given(
    word=st.sampled_from(sorted(EXPECTED)),
    case=st.lists(st.booleans(), min_size=11, max_size=11),
    before=SURROUNDINGS,
    after=SURROUNDINGS,
)
def test_case_and_surrounding_punctuation_do_not_matter(
    word: str, case: list[bool], before: str, after: str
) -> None:
    mixed = "".join(c.lower() if lower else c for c, lower in zip(word, case, strict=False))
    assert match_keyword(before + mixed + after) is EXPECTED[word]


@given(
    word=st.sampled_from(sorted(EXPECTED)),
    extra=st.text(alphabet=st.characters(categories=["L", "N", "So"]), min_size=1, max_size=8),
    gap=st.sampled_from(["", " ", ", ", "-"]),
    extra_first=st.booleans(),
)
def test_a_keyword_with_any_other_word_is_not_a_keyword(
    word: str, extra: str, gap: str, extra_first: bool
) -> None:
    text = extra + gap + word if extra_first else word + gap + extra
    assert match_keyword(text) is None


@given(st.text(max_size=30))
def test_any_text_gives_a_keyword_or_none_and_never_fails(text: str) -> None:
    found = match_keyword(text)
    assert found is None or found in Keyword
    if found is not None:
        core = "".join(c for c in text if c.isalnum())
        assert core.lower() in KEYWORD_WORDS


def test_default_replies_say_how_to_undo_them() -> None:
    assert "START" in DEFAULT_REPLIES[Keyword.STOP]
    assert "STOP" in DEFAULT_REPLIES[Keyword.START]
    assert "STOP" in DEFAULT_REPLIES[Keyword.HELP]

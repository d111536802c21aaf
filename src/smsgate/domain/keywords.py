"""Opt-out, opt-in and help keywords in a handset's text (CTIA / TCPA practice).

A text is a keyword only when the whole of it is the one word: case does not matter, and
spaces, punctuation and control characters around it are ignored ("  Stop! " is STOP),
but anything else makes it an ordinary message ("STOP PLEASE", "stop 👍").
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


_KEYWORDS = {
    **dict.fromkeys(
        ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"),
        Keyword.STOP,
    ),
    **dict.fromkeys(("start", "unstop", "yes"), Keyword.START),
    **dict.fromkeys(("help", "info"), Keyword.HELP),
}
KEYWORD_WORDS = frozenset(_KEYWORDS)

DEFAULT_REPLIES = {
    Keyword.STOP: (
        "You are unsubscribed and will receive no more messages from this number. "
        "Reply START to resubscribe."
    ),
    Keyword.START: (
        "You are subscribed again and will receive messages from this number. "
        "Reply STOP to unsubscribe."
    ),
    Keyword.HELP: "Reply STOP to unsubscribe, START to resubscribe. Msg&data rates may apply.",
}


def _ignorable(character: str) -> bool:
    # P*: punctuation, Z*: separators (spaces), Cc/Cf: control and format characters.
    category = unicodedata.category(character)
    return category[0] in "PZ" or category in ("Cc", "Cf") or character.isspace()


def match_keyword(text: str) -> Keyword | None:
    """The keyword `text` is, or None when it is an ordinary message."""
    start, end = 0, len(text)
    while start < end and _ignorable(text[start]):
        start += 1
    while end > start and _ignorable(text[end - 1]):
        end -= 1
    core = text[start:end]
    if not core.isascii():
        return None
    return _KEYWORDS.get(core.lower())

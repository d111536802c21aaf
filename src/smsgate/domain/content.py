"""Content that carriers' spam filters tend to block, found before a message is sent.

Each check is a heuristic the industry's filters share: shouting in capitals, `!!`,
public link shorteners (they hide where a link goes, so filters distrust them) and, from
a number marked for marketing, no word on how to opt out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smsgate.domain.keywords import KEYWORD_WORDS

# Words this long or longer in capitals read as shouting; shorter ones are mostly acronyms.
MIN_CAPS_WORD = 4
_WORD = re.compile(r"[^\W\d_]+")
_SHORTENERS = (
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "rb.gy",
    "t.ly",
    "bl.ink",
    "v.gd",
    "s.id",
    "shorte.st",
    "adf.ly",
)
_SHORTENER = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?("
    + "|".join(re.escape(domain) for domain in _SHORTENERS)
    + r")(?![\w-]|\.\w)",
    re.IGNORECASE,
)
_OPT_OUT_LANGUAGE = re.compile(
    r"\b(?:reply|text|txt|send|respond)\s+[\"'“]?(?:stop|stopall|unsubscribe|cancel|end|quit"
    r"|optout)\b|\bopt[- ]?out\b|\bunsubscribe\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ContentWarning:
    code: str
    detail: str


def check_content(body: str, *, marketing: bool) -> list[ContentWarning]:
    """Warnings for `body`, in a fixed order; empty when nothing looks like spam."""
    warnings: list[ContentWarning] = []
    shouted = [
        word
        for word in dict.fromkeys(_WORD.findall(body))
        if len(word) >= MIN_CAPS_WORD and word.isupper() and word.lower() not in KEYWORD_WORDS
    ]
    if shouted:
        warnings.append(
            ContentWarning(
                "all_caps",
                f"Words in capitals ({', '.join(shouted)}) read as shouting to spam filters; "
                "write them in lower case.",
            )
        )
    if "!!" in body:
        warnings.append(
            ContentWarning(
                "repeated_exclamation", "Repeated '!' is a common spam signal; use one at most."
            )
        )
    shorteners = list(dict.fromkeys(m.group(1).lower() for m in _SHORTENER.finditer(body)))
    if shorteners:
        warnings.append(
            ContentWarning(
                "url_shortener",
                f"Public link shorteners ({', '.join(shorteners)}) are often filtered; link to "
                "your own domain instead.",
            )
        )
    if marketing and not _OPT_OUT_LANGUAGE.search(body):
        warnings.append(
            ContentWarning(
                "missing_opt_out",
                "This number is marked for marketing, and the text says nothing about opting "
                "out; add e.g. 'Reply STOP to unsubscribe'.",
            )
        )
    return warnings

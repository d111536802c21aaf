"""Who a message is from: an E.164 number or short code the account owns, or an
alphanumeric sender ID."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from smsgate.errors import InvalidFromError

# GSM 03.40 TP-OA allows 11 alphanumeric characters; carriers accept letters, digits and
# spaces, and want at least one letter so it cannot be mistaken for a number.
_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")


@dataclass(frozen=True, slots=True)
class Sender:
    value: str
    kind: Literal["number", "short_code", "alphanumeric"]

    @property
    def is_owned_number(self) -> bool:
        """Whether only the account that registered it may send from it (21606)."""
        return self.kind != "alphanumeric"


def parse_sender(value: str) -> Sender:
    """Classify `from`. Ownership of numbers is checked by the caller, against the store.

    Raises InvalidFromError (21212) for anything that is neither form.
    """
    if _E164.fullmatch(value):
        return Sender(value, "number")
    if _SHORT_CODE.fullmatch(value):
        return Sender(value, "short_code")
    if _ALPHANUMERIC.fullmatch(value) and value == value.strip():
        return Sender(value, "alphanumeric")
    raise InvalidFromError(
        f"'{value}' is neither an E.164 number (like '+14155552671'), a short code (3 to 8 "
        "digits) nor an alphanumeric sender ID (1 to 11 letters, digits or spaces, at least "
        "one letter).",
        field="from",
    )

"""What the simulator does with a message, chosen by destination prefix (first match wins).

The default rules give magic numbers under +1500555, so tests and the sandbox can provoke
each outcome on purpose; everything else is delivered:

    +15005550001   rejected at submit with ESME_RINVDSTADR
    +15005550002   accepted, then an UNDELIV receipt with err:001
    +15005550003   accepted, never a receipt
    +15005550004   rejected at submit with ESME_RTHROTTLED, every time
    +15005550005   delivered, receipt 5 s later than usual
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from smsgate.errors import ConfigError
from smsgate.smpp.status import CommandStatus

__all__ = ["DEFAULT_RULES", "DELIVER_ALL", "Outcome", "Rule", "match_rule"]

Outcome = Literal["delivered", "undelivered", "rejected", "no_receipt"]
_OUTCOMES: Final = frozenset({"delivered", "undelivered", "rejected", "no_receipt"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One outcome for destinations starting with `prefix` (E.164, with its "+").

    Attributes:
        prefix: "" matches every number.
        outcome: "delivered" (DELIVRD receipt), "undelivered" (UNDELIV receipt with
            `err`), "rejected" (submit_sm_resp with `status`, no message id) or
            "no_receipt" (accepted, then silence).
        err: the receipt's err field (SMPP 3.4 Appendix B), 3 digits by convention.
        status: the command_status of a rejection; required for "rejected".
        delay: seconds added to the simulator's receipt delay.
    """

    prefix: str
    outcome: Outcome = "delivered"
    err: str = "000"
    status: int = CommandStatus.ESME_ROK
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.outcome not in _OUTCOMES:
            raise ConfigError(
                f"Rule outcome {self.outcome!r} is unknown; use one of {sorted(_OUTCOMES)}."
            )
        if (self.outcome == "rejected") != (self.status != CommandStatus.ESME_ROK):
            raise ConfigError(
                f"Rule for {self.prefix!r}: a 'rejected' outcome needs a non-zero status, and"
                f" only it may have one (got outcome {self.outcome!r}, status {self.status})."
            )
        if not self.delay >= 0:
            raise ConfigError(f"Rule for {self.prefix!r}: delay is {self.delay}; it must be >= 0.")


DELIVER_ALL: Final = Rule("")

DEFAULT_RULES: Final[tuple[Rule, ...]] = (
    Rule("+15005550001", "rejected", status=CommandStatus.ESME_RINVDSTADR),
    Rule("+15005550002", "undelivered", err="001"),
    Rule("+15005550003", "no_receipt"),
    Rule("+15005550004", "rejected", status=CommandStatus.ESME_RTHROTTLED),
    Rule("+15005550005", "delivered", delay=5.0),
    DELIVER_ALL,
)


def match_rule(rules: Sequence[Rule], number: str) -> Rule:
    """The first rule whose prefix starts `number`; DELIVER_ALL if none does."""
    for rule in rules:
        if number.startswith(rule.prefix):
            return rule
    return DELIVER_ALL

"""Which route a message takes: pure matching over route rules, and sender types.

A route matches a message when every criterion it sets (destination prefix, destination
country, account, sender type) matches and its mode is the message's mode. The matching
route with the lowest `priority` wins (ties: the name decides, so the choice never
depends on load order); its connectors are tried in the order listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal, get_args

import phonenumbers

from smsgate.domain.numbers import infer_number_type
from smsgate.errors import InvalidParameterError, ValidationError

SenderType = Literal["long_code", "toll_free", "short_code", "alphanumeric"]
SENDER_TYPES: Final[tuple[str, ...]] = get_args(SenderType)
Mode = Literal["live", "test"]

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PREFIX = re.compile(r"\+[0-9]{1,15}")


@lru_cache(maxsize=4096)
def sender_type(sender: str) -> SenderType:
    """What kind of sender `sender` is: as a number being registered reads
    (`infer_number_type`), else, for a sender no numbering plan knows, by its shape."""
    inferred = infer_number_type(sender)
    if inferred is not None:
        return inferred.value
    # infer_number_type already took every 3-to-8-digit short code.
    return "long_code" if sender.removeprefix("+").isdigit() else "alphanumeric"


def check_name(value: str, *, what: str, field: str = "name") -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ValidationError(
            f"The {what} name {value!r} is not valid; use 1 to 64 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit.",
            field=field,
        )
    return value


def check_fields(
    data: Mapping[str, Any], known: Sequence[str], required: Sequence[str], *, what: str
) -> None:
    if not isinstance(data, Mapping):
        raise ValidationError(f"A {what} must be a JSON object (a TOML table).")
    for key in data:
        if key not in known:
            raise ValidationError(
                f"'{key}' is not a field of a {what}; the fields are {', '.join(known)}.",
                field=str(key),
            )
    for key in required:
        if data.get(key) is None:
            raise ValidationError(f"A {what} needs '{key}'.", field=key)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What routing looks at in a message."""

    to: str
    country: str
    account_id: str
    sender: str
    mode: Mode


@dataclass(frozen=True, slots=True)
class RouteRule:
    """A route. Checked on construction: ValidationError names the field at fault."""

    name: str
    connectors: tuple[str, ...]
    priority: int = 100
    mode: Mode = "live"
    prefix: str | None = None
    country: str | None = None
    account_id: str | None = None
    sender_type: SenderType | None = None

    def __post_init__(self) -> None:
        check_name(self.name, what="route")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidParameterError(
                f"priority {self.priority!r} is not a whole number.", field="priority"
            )
        if not 0 <= self.priority <= 1_000_000:
            raise InvalidParameterError(
                f"priority {self.priority} is out of range; use 0 to 1000000 (lowest first).",
                field="priority",
            )
        if self.mode not in ("live", "test"):
            raise InvalidParameterError(
                f"mode {self.mode!r} is not valid; use 'live' or 'test'.", field="mode"
            )
        if self.prefix is not None and not _PREFIX.fullmatch(self.prefix):
            raise InvalidParameterError(
                f"prefix {self.prefix!r} is not a destination prefix; write '+' and 1 to 15 "
                "digits, like '+1415'.",
                field="prefix",
            )
        if self.country is not None and self.country not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidParameterError(
                f"country {self.country!r} is not an ISO 3166-1 alpha-2 code we know; write "
                "it in capitals, like 'US' or 'GB'.",
                field="country",
            )
        if self.sender_type is not None and self.sender_type not in SENDER_TYPES:
            raise InvalidParameterError(
                f"sender_type {self.sender_type!r} is not valid; use one of "
                f"{', '.join(SENDER_TYPES)}.",
                field="sender_type",
            )
        if not self.connectors:
            raise InvalidParameterError("A route needs at least one connector.", field="connectors")
        for name in self.connectors:
            check_name(name, what="connector", field="connectors")
        if len(set(self.connectors)) != len(self.connectors):
            raise InvalidParameterError(
                f"connectors {list(self.connectors)} names one connector twice.",
                field="connectors",
            )

    def matches(self, facts: MessageFacts) -> bool:
        return (
            self.mode == facts.mode
            and (self.prefix is None or facts.to.startswith(self.prefix))
            and (self.country is None or self.country == facts.country)
            and (self.account_id is None or self.account_id == facts.account_id)
            and (self.sender_type is None or self.sender_type == sender_type(facts.sender))
        )


def order_routes(rules: Iterable[RouteRule]) -> tuple[RouteRule, ...]:
    """Rules in the order they are tried: priority, then name."""
    return tuple(sorted(rules, key=lambda rule: (rule.priority, rule.name)))


def match_route(ordered: Iterable[RouteRule], facts: MessageFacts) -> RouteRule | None:
    """The first rule of `ordered` (see `order_routes`) that matches `facts`, or None."""
    return next((rule for rule in ordered if rule.matches(facts)), None)


ROUTE_FIELDS: Final = (
    "name",
    "priority",
    "mode",
    "prefix",
    "country",
    "account_id",
    "sender_type",
    "connectors",
)


def route_from_mapping(data: Mapping[str, Any]) -> RouteRule:
    """A RouteRule from a JSON object or TOML table; ValidationError names the field."""
    check_fields(data, ROUTE_FIELDS, ("name", "connectors"), what="route")
    values = {key: value for key, value in data.items() if value is not None}
    names = values["connectors"]
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValidationError(
            "connectors must be a list of connector names, in the order to try them.",
            field="connectors",
        )
    values["connectors"] = tuple(names)
    return RouteRule(**values)

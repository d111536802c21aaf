"""Route matching and sender types: pure functions, table cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.routing import (
    SENDER_TYPES,
    MessageFacts,
    RouteRule,
    match_route,
    order_routes,
    route_from_mapping,
    sender_type,
)
from smsgate.errors import InvalidParameterError, ValidationError


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("+14155552671", "long_code"),
        ("+447700900123", "long_code"),
        ("+18005550100", "toll_free"),
        ("+18885550100", "toll_free"),
        ("12345", "short_code"),
        ("898", "short_code"),
        ("ACME", "alphanumeric"),
        ("Shop 24", "alphanumeric"),
    ],
)
def test_the_sender_type_is_inferred_from_the_sender(sender: str, expected: str) -> None:
    assert sender_type(sender) == expected


def facts(**overrides: str) -> MessageFacts:
    values = {
        "to": "+14155552671",
        "country": "US",
        "account_id": "AC1",
        "sender": "+14155550100",
        "mode": "live",
    }
    values.update(overrides)
    return MessageFacts(**values)  # type: ignore[arg-type]


def test_the_lowest_priority_matching_route_wins() -> None:
    rules = order_routes(
        [
            RouteRule("everything", ("c",), priority=100),
            RouteRule("sf", ("a",), priority=10, prefix="+1415"),
            RouteRule("gb", ("b",), priority=5, country="GB"),
        ]
    )
    assert match_route(rules, facts()).name == "sf"  # type: ignore[union-attr]
    assert match_route(rules, facts(to="+12125550100")).name == "everything"  # type: ignore[union-attr]
    assert match_route(rules, facts(to="+447700900123", country="GB")).name == "gb"  # type: ignore[union-attr]


def test_every_criterion_must_match_and_the_mode_too() -> None:
    rule = RouteRule(
        "narrow", ("a",), prefix="+1", country="US", account_id="AC1", sender_type="short_code"
    )
    assert rule.matches(facts(sender="12345"))
    assert not rule.matches(facts(sender="+14155550100"))
    assert not rule.matches(facts(sender="12345", account_id="AC2"))
    assert not rule.matches(facts(sender="12345", mode="test"))
    assert match_route([rule], facts()) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "r", "connectors": []}, "connectors"),
        ({"name": "r", "connectors": ["a", "a"]}, "connectors"),
        ({"name": "r", "connectors": "a"}, "connectors"),
        ({"name": "r", "connectors": ["a"], "prefix": "1415"}, "prefix"),
        ({"name": "r", "connectors": ["a"], "country": "usa"}, "country"),
        ({"name": "r", "connectors": ["a"], "mode": "prod"}, "mode"),
        ({"name": "r", "connectors": ["a"], "priority": "high"}, "priority"),
        ({"name": "r", "connectors": ["a"], "priority": -1}, "priority"),
        ({"name": "r", "connectors": ["a"], "sender_type": "pigeon"}, "sender_type"),
        ({"name": "r", "connectors": ["a"], "colour": "red"}, "colour"),
        ({"name": "no spaces", "connectors": ["a"]}, "name"),
        ({"connectors": ["a"]}, "name"),
    ],
)
def test_bad_routes_are_refused_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        route_from_mapping(data)
    assert caught.value.field == field


def test_a_bad_priority_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError):
        RouteRule("r", ("a",), priority=2_000_000)


names = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)
rules_strategy = st.lists(
    st.builds(
        RouteRule,
        name=names,
        connectors=st.just(("c",)),
        priority=st.integers(0, 20),
        mode=st.sampled_from(["live", "test"]),
        prefix=st.none() | st.sampled_from(["+1", "+14", "+1415", "+44"]),
        country=st.none() | st.sampled_from(["US", "GB"]),
        account_id=st.none() | st.sampled_from(["AC1", "AC2"]),
        sender_type=st.none() | st.sampled_from(SENDER_TYPES),
    ),
    max_size=8,
    unique_by=lambda rule: rule.name,
)
facts_strategy = st.builds(
    MessageFacts,
    to=st.sampled_from(["+14155552671", "+12125550100", "+447700900123"]),
    country=st.sampled_from(["US", "GB"]),
    account_id=st.sampled_from(["AC1", "AC2"]),
    sender=st.sampled_from(["+14155550100", "+18005550100", "12345", "ACME"]),
    mode=st.sampled_from(["live", "test"]),
)


@given(rules_strategy, facts_strategy)
def test_the_chosen_route_matches_and_no_earlier_one_does(
    rules: list[RouteRule], message: MessageFacts
) -> None:
    ordered = order_routes(rules)
    chosen = match_route(ordered, message)
    if chosen is None:
        assert not any(rule.matches(message) for rule in rules)
        return
    assert chosen.matches(message)
    earlier = ordered[: ordered.index(chosen)]
    assert not any(rule.matches(message) for rule in earlier)


@given(rules_strategy, facts_strategy)
def test_the_choice_does_not_depend_on_the_order_routes_are_loaded_in(
    rules: list[RouteRule], message: MessageFacts
) -> None:
    assert match_route(order_routes(rules), message) == match_route(
        order_routes(reversed(rules)), message
    )


@given(facts_strategy)
def test_a_route_without_criteria_takes_every_message_of_its_mode(message: MessageFacts) -> None:
    assert RouteRule("all", ("c",), mode=message.mode).matches(message)


@given(st.text(max_size=20))
def test_every_sender_has_one_of_the_four_types(sender: str) -> None:
    assert sender_type(sender) in SENDER_TYPES


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_an_e164_sender_is_a_long_code_or_toll_free(sender: str) -> None:
    assert sender_type(sender) in ("long_code", "toll_free")

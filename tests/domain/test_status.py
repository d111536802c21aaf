"""The message lifecycle: which status changes are legal."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.status import FINAL, MessageStatus, can_transition

S = MessageStatus

# The arrows the module docstring draws.
DOCUMENTED = [
    (S.ACCEPTED, S.SCHEDULED),
    (S.SCHEDULED, S.QUEUED),
    (S.QUEUED, S.SENDING),
    (S.SENDING, S.SENT),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.UNDELIVERED),
    (S.SENT, S.FAILED),
    (S.SCHEDULED, S.CANCELED),
    (S.QUEUED, S.CANCELED),
    (S.SENDING, S.QUEUED),  # a retry after an attempt that definitely failed
    (S.SENDING, S.SENDING),  # a new attempt after a lease expired
]


@pytest.mark.parametrize(("current", "new"), DOCUMENTED)
def test_documented_arrows_hold(current: MessageStatus, new: MessageStatus) -> None:
    assert can_transition(current, new)


def test_final_statuses_are_the_documented_ones() -> None:
    assert {S.DELIVERED, S.UNDELIVERED, S.FAILED, S.CANCELED, S.RECEIVED} == FINAL


@pytest.mark.parametrize("final", sorted(FINAL))
def test_final_statuses_allow_nothing(final: MessageStatus) -> None:
    assert not any(can_transition(final, new) for new in MessageStatus)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.SENT, S.SENDING),  # once handed over, never again
        (S.SENT, S.QUEUED),
        (S.SENT, S.CANCELED),  # canceled only before it leaves us
        (S.SENDING, S.CANCELED),
        (S.QUEUED, S.SENT),  # no skipping the attempt
        (S.QUEUED, S.QUEUED),
        (S.SCHEDULED, S.SENDING),
    ],
)
def test_illegal_arrows_are_refused(current: MessageStatus, new: MessageStatus) -> None:
    assert not can_transition(current, new)


def test_nothing_leads_back_to_accepted_or_to_received() -> None:
    for current, new in itertools.product(MessageStatus, [S.ACCEPTED, S.RECEIVED]):
        assert not can_transition(current, new), (current, new)


def test_every_non_final_status_can_still_end() -> None:
    for current in set(MessageStatus) - FINAL:
        assert any(can_transition(current, end) for end in FINAL), current


@given(st.sampled_from(MessageStatus), st.sampled_from(MessageStatus))
def test_any_pair_gives_a_bool_and_finals_stay_final(
    current: MessageStatus, new: MessageStatus
) -> None:
    allowed = can_transition(current, new)
    assert isinstance(allowed, bool)
    if current in FINAL:
        assert not allowed


@pytest.mark.parametrize(("current", "new"), [("queued", "sending"), ("sent", "delivered")])
def test_plain_strings_from_the_store_compare_as_statuses(current: str, new: str) -> None:
    assert can_transition(current, new)  # type: ignore[arg-type]

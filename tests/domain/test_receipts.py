"""Receipt words to statuses and codes, and the multipart aggregate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.receipts import aggregate, receipt_outcome
from smsgate.domain.status import MessageStatus
from smsgate.errors import ErrorCode


def test_delivered_has_no_error() -> None:
    outcome = receipt_outcome("DELIVRD", "000")
    assert outcome is not None
    assert outcome.status is MessageStatus.DELIVERED
    assert outcome.error_code is None


def test_intermediate_states_change_nothing() -> None:
    assert receipt_outcome("ENROUTE", None) is None
    assert receipt_outcome("ACCEPTD", None) is None
    assert receipt_outcome(None, None) is None


def test_undeliverable_is_refined_by_the_network_error() -> None:
    assert receipt_outcome("UNDELIV", "001").error_code == ErrorCode.UNKNOWN_DESTINATION  # type: ignore[union-attr]
    assert receipt_outcome("UNDELIV", "6").error_code == ErrorCode.LANDLINE  # type: ignore[union-attr]
    assert receipt_outcome("UNDELIV", "999").error_code == ErrorCode.UNREACHABLE  # type: ignore[union-attr]


def test_rejected_is_carrier_filtering() -> None:
    outcome = receipt_outcome("REJECTD", "000")
    assert outcome is not None
    assert outcome.status is MessageStatus.UNDELIVERED
    assert outcome.error_code == ErrorCode.CARRIER_FILTERED


def test_multipart_waits_for_every_part_and_fails_on_any() -> None:
    delivered = receipt_outcome("DELIVRD", None)
    undelivered = receipt_outcome("UNDELIV", "001")
    assert aggregate([delivered, None]) is None
    assert aggregate([delivered, delivered]) == delivered
    assert aggregate([delivered, undelivered, None]) == undelivered


@given(st.text(max_size=10), st.one_of(st.none(), st.text(max_size=5)))
def test_any_receipt_words_give_an_outcome_or_none(stat: str, err: str | None) -> None:
    outcome = receipt_outcome(stat, err)
    assert outcome is None or outcome.status in {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
    }

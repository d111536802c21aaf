"""A receipt's id leads back to its submit_sm_resp id, however the carrier rewrote it."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from smsgate.domain.receipt_ids import MAX_ID_LENGTH, IdFormat, candidate_ids

FORMATS: list[IdFormat] = ["exact", "auto", "receipt_decimal", "receipt_hex"]

numbers = st.integers(min_value=0, max_value=2**64 - 1)
widths = st.integers(min_value=0, max_value=24)
# Ids as a carrier writes them in submit_sm_resp: a number in decimal or in hex of one
# case, without padding, or any id in one case (carriers do not mix cases in one id).
stored_ids = st.one_of(
    numbers.map(str),
    numbers.map("{:x}".format),
    numbers.map("{:X}".format),
    st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1, max_size=20)
    .map(str.lower)
    .filter(lambda s: not s.startswith("0")),
)


def is_hex(text: str) -> bool:
    return all(c in string.hexdigits for c in text)


def rewrites(stored: str) -> list[str]:
    """Every way a receipt may write `stored`: case, zeros, the other base."""
    forms = [stored, stored.lower(), stored.upper()]
    if stored.isdecimal():
        forms += [f"{int(stored):x}", f"{int(stored):X}"]
    if is_hex(stored):
        forms.append(str(int(stored, 16)))
    return forms


@given(stored_ids, widths)
@example("ff", 10)
@example("255", 8)
@example("0", 4)
def test_auto_finds_the_stored_id_under_any_rewrite(stored: str, width: int) -> None:
    for receipt_id in rewrites(stored):
        assert stored in candidate_ids(receipt_id, "auto"), receipt_id
        assert stored in candidate_ids(receipt_id.rjust(width, "0"), "auto"), receipt_id


@given(numbers, st.integers(min_value=0, max_value=8))
def test_auto_finds_ids_both_sides_padded_to_one_width(number: int, extra: int) -> None:
    decimal, hex_lower, hex_upper = str(number), f"{number:x}", f"{number:X}"
    width = len(decimal) + extra  # a fixed width that fits both forms
    for stored, receipt_id in [
        (hex_lower, decimal),
        (hex_upper, decimal),
        (decimal, hex_lower),
        (decimal, hex_upper),
    ]:
        assert stored.rjust(width, "0") in candidate_ids(receipt_id.rjust(width, "0"), "auto")


@given(st.text(max_size=MAX_ID_LENGTH + 8))
def test_exact_yields_only_the_id(receipt_id: str) -> None:
    assert candidate_ids(receipt_id, "exact") == (receipt_id,)


@pytest.mark.parametrize("fmt", FORMATS)
@given(receipt_id=st.text(max_size=MAX_ID_LENGTH + 8))
def test_candidates_start_sensibly_and_never_repeat(fmt: IdFormat, receipt_id: str) -> None:
    candidates = candidate_ids(receipt_id, fmt)
    assert candidates
    assert len(set(candidates)) == len(candidates)
    if fmt == "auto":
        assert candidates[0] == receipt_id
    if len(receipt_id) <= MAX_ID_LENGTH:
        assert all(len(c) <= MAX_ID_LENGTH for c in candidates)


@pytest.mark.parametrize(
    ("fmt", "receipt_id", "stored"),
    [
        ("receipt_decimal", "255", "ff"),
        ("receipt_decimal", "0000000255", "00000000FF"),
        ("receipt_hex", "ff", "255"),
        ("receipt_hex", "000000FF", "00000255"),
    ],
)
def test_base_formats_convert(fmt: IdFormat, receipt_id: str, stored: str) -> None:
    assert stored in candidate_ids(receipt_id, fmt)
    assert receipt_id not in candidate_ids(receipt_id, fmt)


@pytest.mark.parametrize("fmt", ["receipt_decimal", "receipt_hex"])
def test_base_formats_look_up_other_ids_as_they_are(fmt: IdFormat) -> None:
    assert candidate_ids("msg-42", fmt) == ("msg-42",)


@pytest.mark.parametrize(
    ("receipt_id", "expected_prefix"),
    [
        ("12", ("12", "c", "0c", "C", "0C", "18")),
        ("00Ab", ("00Ab", "00ab", "00AB", "Ab", "ab", "AB", "171", "0171")),
        ("000", ("000", "0")),
        ("", ("",)),
    ],
)
def test_auto_orders_the_likely_forms_first(
    receipt_id: str, expected_prefix: tuple[str, ...]
) -> None:
    assert candidate_ids(receipt_id, "auto")[: len(expected_prefix)] == expected_prefix


def test_long_ids_are_not_converted() -> None:
    receipt_id = "1" * (MAX_ID_LENGTH + 1)
    assert candidate_ids(receipt_id, "auto") == (receipt_id,)
    # The decimal of 64 hex digits has up to 78: no submit_sm_resp id is that long.
    assert all(len(c) <= MAX_ID_LENGTH for c in candidate_ids("f" * MAX_ID_LENGTH, "auto"))

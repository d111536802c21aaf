"""SMPP time strings (SMPP 3.4 §7.1.1): relative and absolute, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp.time_format import (
    MAX_RELATIVE_DAYS,
    absolute_time,
    parse_absolute_time,
    parse_relative_time,
    relative_time,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "000000000000000R"),
        (1, "000000000001000R"),
        (36_000, "000000100000000R"),  # the longest validity: 10 hours
        (86_400 + 3_600 + 60 + 1, "000001010101000R"),
        (35 * 86_400, "000035000000000R"),
    ],
)
def test_relative_times_count_days_hours_minutes_seconds(seconds: int, text: str) -> None:
    assert relative_time(seconds) == text
    assert len(text) == 16


@pytest.mark.parametrize("seconds", [-1, (MAX_RELATIVE_DAYS + 1) * 86_400])
def test_relative_times_out_of_range_are_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match="cannot be a relative SMPP time"):
        relative_time(seconds)


@given(st.integers(min_value=0, max_value=(MAX_RELATIVE_DAYS + 1) * 86_400 - 1))
def test_relative_round_trip(seconds: int) -> None:
    assert parse_relative_time(relative_time(seconds)) == seconds


@pytest.mark.parametrize(
    "text", ["", "000001000000000A", "010000000000000R", "00000100000000R", "0000x1000000000R"]
)
def test_not_a_relative_time(text: str) -> None:
    with pytest.raises(ValueError, match=r"relative SMPP time|years or months"):
        parse_relative_time(text)


def test_absolute_time_is_written_in_utc_to_the_tenth() -> None:
    moment = datetime(2026, 11, 29, 13, 5, 9, 730_000, tzinfo=timezone(timedelta(hours=2)))
    assert absolute_time(moment) == "261129110509700+"


def test_absolute_time_with_an_offset_is_read_in_utc() -> None:
    # 12:00 at UTC-04:45 (19 quarter hours behind) is 16:45 UTC.
    assert parse_absolute_time("261129120000019-") == datetime(2026, 11, 29, 16, 45, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2068, 12, 31), timezones=st.just(UTC)
    )
)
def test_absolute_round_trip_to_the_tenth(moment: datetime) -> None:
    expected = moment.replace(microsecond=moment.microsecond // 100_000 * 100_000)
    assert parse_absolute_time(absolute_time(moment)) == expected


@given(st.text(max_size=20))
def test_any_text_is_an_absolute_time_or_a_value_error(text: str) -> None:
    try:
        moment = parse_absolute_time(text)
    except ValueError:
        return
    assert moment.tzinfo is UTC

"""Formatted instants: the same text as `datetime.isoformat`, whatever was formatted first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.times import iso_timestamp, utc_isoformat

ZONES = st.one_of(
    st.just(UTC),
    st.builds(
        timezone,
        st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
            lambda offset: timedelta(minutes=offset // timedelta(minutes=1))
        ),
    ),
)


@given(st.datetimes(timezones=ZONES))
def test_an_instant_is_written_as_isoformat_writes_it(value: datetime) -> None:
    assert utc_isoformat(value) == value.isoformat(timespec="microseconds")
    assert utc_isoformat(value) == value.isoformat(timespec="microseconds")  # kept, same


@given(st.datetimes(timezones=st.just(UTC)))
def test_an_instant_in_another_zone_keeps_its_own_offset(value: datetime) -> None:
    # Equal instants are equal keys: the one in UTC, formatted first, must not answer for
    # the one two hours east.
    elsewhere = value.astimezone(timezone(timedelta(hours=2)))
    assert utc_isoformat(value).endswith("+00:00")
    assert utc_isoformat(elsewhere) == elsewhere.isoformat(timespec="microseconds")
    assert utc_isoformat(elsewhere).endswith("+02:00")


def test_a_timestamp_for_users_ends_in_z() -> None:
    at = datetime(2026, 11, 29, 11, 0, 11, 504000, tzinfo=UTC)
    assert iso_timestamp(at) == "2026-11-29T11:00:11.504000Z"
    assert iso_timestamp(at.replace(microsecond=0)) == "2026-11-29T11:00:11.000000Z"

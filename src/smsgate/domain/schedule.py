"""When a scheduled message may be sent: `send_at` between a minimum and a maximum lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsgate.errors import InvalidParameterError


def check_send_at(
    send_at: datetime, *, now: datetime, min_lead: timedelta, max_lead: timedelta
) -> datetime:
    """`send_at` in UTC, if it lies from `min_lead` to `max_lead` after `now`.

    Raises InvalidParameterError (field `send_at`) for a time without a UTC offset, or one
    too soon or too far ahead, saying which bound it missed.
    """
    if send_at.tzinfo is None or send_at.utcoffset() is None:
        raise InvalidParameterError(
            f"send_at '{send_at.isoformat()}' has no time zone; end it with 'Z' or an offset "
            "such as '+02:00'.",
            field="send_at",
        )
    send_at = send_at.astimezone(UTC)
    earliest, latest = now + min_lead, now + max_lead
    if not earliest <= send_at <= latest:
        raise InvalidParameterError(
            f"send_at is {_iso(send_at)}; schedule it from {_lead(min_lead)} to "
            f"{_lead(max_lead)} ahead, between {_iso(earliest)} and {_iso(latest)}. "
            "To send now, leave send_at out.",
            field="send_at",
        )
    return send_at


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _lead(lead: timedelta) -> str:
    seconds = lead.total_seconds()
    if seconds >= 86_400 and seconds % 86_400 == 0:
        return f"{int(seconds // 86_400)} days"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    return f"{seconds:g} seconds"

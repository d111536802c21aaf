"""SMPP time strings (SMPP 3.4 §7.1.1), as `schedule_delivery_time` and `validity_period`
carry them: 16 characters, or empty for "not given".

    absolute  YYMMDDhhmmsstnnp   t tenths of a second, nn the offset from UTC in quarter
                                 hours, p '+' or '-' (ahead of or behind UTC)
    relative  YYMMDDhhmmss000R   years, months, days, hours, minutes, seconds from now

smsgate writes validity periods relative to the moment of the submit, so an SMSC whose
clock or time zone differs from ours still expires the message when we meant it to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

_DAY = 86_400
MAX_RELATIVE_DAYS = 99  # two digits of days; longer spans need months, whose length varies


def relative_time(seconds: int) -> str:
    """`seconds` from now as a relative time; ValueError past 99 days or below zero."""
    if not 0 <= seconds < (MAX_RELATIVE_DAYS + 1) * _DAY:
        raise ValueError(
            f"{seconds} s cannot be a relative SMPP time: give 0 to {MAX_RELATIVE_DAYS} days"
        )
    days, rest = divmod(seconds, _DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def parse_relative_time(text: str) -> int:
    """Seconds of a relative time without years or months; ValueError otherwise."""
    if len(text) != 16 or not text.endswith("000R") or not text[:12].isdigit():
        raise ValueError(f"{text!r} is not a relative SMPP time (YYMMDDhhmmss000R)")
    if text[:4] != "0000":
        raise ValueError(f"{text!r} counts years or months, which have no fixed length")
    days, hours, minutes, seconds = (int(text[i : i + 2]) for i in range(4, 12, 2))
    return days * _DAY + hours * 3600 + minutes * 60 + seconds


def absolute_time(moment: datetime) -> str:
    """`moment` as an absolute time in UTC (offset 00+), to the tenth of a second."""
    moment = moment.astimezone(UTC)
    return f"{moment:%y%m%d%H%M%S}{moment.microsecond // 100_000}00+"


def parse_absolute_time(text: str) -> datetime:
    """An absolute time as an aware datetime; ValueError if it is not one."""
    digits, sign = text[:15], text[15:]
    if len(text) != 16 or not digits.isdigit() or sign not in ("+", "-"):
        raise ValueError(f"{text!r} is not an absolute SMPP time (YYMMDDhhmmsstnnp)")
    quarters = int(digits[13:15])
    if quarters > 48:
        raise ValueError(f"{text!r} is more than 12 hours from UTC")
    offset = timedelta(minutes=15 * quarters) * (1 if sign == "+" else -1)
    local = datetime.strptime(digits[:12], "%y%m%d%H%M%S")
    return local.replace(microsecond=int(digits[12]) * 100_000, tzinfo=timezone(offset)).astimezone(
        UTC
    )

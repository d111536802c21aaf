"""When to try a request again, and how long to wait first.

Retried: connection errors, timeouts, 429 and 5xx answers. Waits grow exponentially with
full jitter (a uniform draw between 0 and the exponential step, so many clients that failed
together do not come back together), except that a `Retry-After` from the gateway is
honoured as given. Both the number of attempts and the total time are capped.

A request that may have reached the gateway is retried only when repeating it is safe:
reads, and writes the gateway deduplicates (a message sent with an `Idempotency-Key`).
Other writes are retried only when the gateway certainly did not act on them: the
connection was refused, or it answered 429.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the client tries.

    Args:
        max_attempts: attempts in all, the first included (1: never retry).
        backoff_base: the first wait's upper bound, seconds; it doubles each attempt.
        backoff_max: the largest wait between two attempts, seconds.
        total_timeout: no new attempt starts after this many seconds from the first.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    total_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts is {self.max_attempts}; give 1 or more.")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.total_timeout < 0:
            raise ValueError("backoff_base, backoff_max and total_timeout must be 0 or more.")

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """The wait before retry number `retry` (1 for the first retry): full jitter."""
        step = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return (rng or _rng).uniform(0, step)

    def delay(
        self,
        retry: int,
        retry_after: float | None,
        elapsed: float,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait before retry number `retry`, or None to give up now."""
        if retry >= self.max_attempts:
            return None
        wait = retry_after if retry_after is not None else self.backoff(retry, rng)
        if elapsed + wait > self.total_timeout:
            return None
        return wait


NO_RETRIES = RetryPolicy(max_attempts=1)
_rng = random.Random()


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP-date)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable_error(error: httpx.HTTPError, *, replay_safe: bool) -> bool:
    """Whether to try again after this transport error."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # the request never left: repeating it cannot act twice
    return replay_safe and isinstance(error, httpx.TimeoutException | httpx.NetworkError)


def is_retryable_status(status: int, *, replay_safe: bool) -> bool:
    """Whether to try again after this answer."""
    if status == 429:
        return True  # refused before it was acted on
    return replay_safe and status in RETRY_STATUSES

"""Token bucket, rate limit, AIMD and per-sender MPS: pure, tested without a clock."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.delivery.pacing import (
    WINDOW,
    WINDOW_GUARD,
    Aimd,
    Pacer,
    RateLimit,
    SenderCaps,
    TokenBucket,
)

gaps = st.lists(st.floats(0, 0.5, allow_nan=False), min_size=1, max_size=300)
rates = st.floats(0.5, 200, allow_nan=False)


def drive(limit: RateLimit, arrivals: list[float]) -> list[float]:
    """Takes at `arrivals` (gaps), each waiter retrying after the wait it is told."""
    now, taken = 0.0, []
    for gap in arrivals:
        now += gap
        while (wait := limit.try_take(now)) > 0:
            now += wait
        taken.append(now)
    return taken


@given(rates, gaps)
def test_a_rate_limit_never_allows_more_than_its_rate_in_any_window(
    rate: float, arrivals: list[float]
) -> None:
    taken = drive(RateLimit(rate), arrivals)
    most = max(1, int(rate * WINDOW))
    for index, start in enumerate(taken):
        in_window = [t for t in taken[index:] if t < start + WINDOW]
        assert len(in_window) <= most


@given(rates, st.integers(2, 400))
def test_a_busy_rate_limit_keeps_close_to_its_rate(rate: float, count: int) -> None:
    """Close to `rate`; a window holds a whole number of takes, so 1.5 a second is one."""
    taken = drive(RateLimit(rate), [0.0] * count)
    if count > 2 * rate + 2:
        achieved = (len(taken) - 1) / (taken[-1] - taken[0])
        whole = rate if rate < 1 else min(rate, math.floor(rate) / (WINDOW + WINDOW_GUARD))
        assert whole * 0.9 <= achieved <= rate * 1.001


@given(rates, st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=50))
def test_a_token_bucket_never_saves_more_than_its_capacity(rate: float, steps: list[float]) -> None:
    bucket, now = TokenBucket(rate, 2.0), 0.0
    for step in steps:
        now += step
        bucket.try_take(now)
        assert bucket.tokens <= 2.0


def test_a_token_bucket_says_how_long_to_wait() -> None:
    bucket = TokenBucket(10.0)
    assert bucket.try_take(0.0) == 0
    assert bucket.try_take(0.0) == pytest.approx(0.1)
    assert bucket.try_take(0.1) == 0


pushback_times = st.lists(st.floats(0, 100, allow_nan=False), max_size=30).map(sorted)


@given(pushback_times, st.floats(0.01, 1))
def test_aimd_stays_between_its_floor_and_one(times: list[float], recovery: float) -> None:
    aimd = Aimd(recovery=recovery)
    for at in times:
        aimd.pushback(at)
        assert aimd.floor <= aimd.factor(at) <= 1
        assert 1 <= aimd.window(64, at) <= 64


@given(pushback_times, st.floats(0.01, 1), st.floats(0, 50))
def test_aimd_recovers_steadily_without_pushback(
    times: list[float], recovery: float, later: float
) -> None:
    aimd = Aimd(recovery=recovery)
    for at in times:
        aimd.pushback(at)
    last = times[-1] if times else 0.0
    assert aimd.factor(last + later) >= aimd.factor(last)
    assert aimd.factor(last + later + 1 / recovery) == 1


def test_pushback_halves_at_most_once_per_hold() -> None:
    aimd = Aimd(recovery=0.1, hold=1.0)
    assert aimd.pushback(10.0)
    assert aimd.factor(10.0) == 0.5
    assert not aimd.pushback(10.5)  # the answers of submits already in flight
    assert aimd.pushback(11.0)
    assert aimd.factor(11.0) == pytest.approx(0.3)  # half of 0.6
    assert aimd.window(64, 11.0) == 19


@pytest.mark.parametrize(
    ("sender", "mps"),
    [("+14155550100", 1), ("+18005550100", 3), ("12345", 100), ("ACME", 10)],
)
def test_senders_get_the_default_mps_of_their_type(sender: str, mps: float) -> None:
    assert SenderCaps()(sender) == mps


def test_mps_defaults_can_be_overridden() -> None:
    defaults = {"long_code": 2.0, "toll_free": 3.0, "short_code": 100.0, "alphanumeric": 5.0}
    assert SenderCaps(defaults)("+14155550100") == 2  # type: ignore[arg-type]


def test_a_registered_number_has_its_own_cap_or_its_registered_types() -> None:
    caps = SenderCaps()
    caps.update([("+14155550100", "long_code", 4.0), ("+14155550101", "toll_free", None)])
    assert caps("+14155550100") == 4
    assert caps("+14155550101") == 3  # registered as toll-free, though it reads as a long code
    assert caps("+14155550102") == 1
    caps.update([])
    assert caps("+14155550100") == 1


def test_a_pacer_lets_waiters_go_in_the_order_they_came() -> None:
    async def scenario() -> list[int]:
        pacer, order = Pacer(200.0), []

        async def waiter(index: int) -> None:
            await pacer.wait()
            order.append(index)

        async with asyncio.TaskGroup() as tasks:
            for index in range(20):
                tasks.create_task(waiter(index))
        return order

    assert asyncio.run(scenario()) == list(range(20))


def test_a_fast_rate_lets_a_burst_through_without_sleeps_shorter_than_the_loops() -> None:
    fast, slow = RateLimit(100_000), RateLimit(100)
    for limit in (fast, slow):
        assert limit.try_take(0.0) == 0
    # 2 ms later, a burst: the fast one has earned 200 and saved them all.
    assert [fast.try_take(0.002) for _ in range(200)] == [0.0] * 200
    assert fast.try_take(0.002) > 0
    # The slow one saves what a tenth of a second brings (ten), and no more.
    assert [slow.try_take(1.0) == 0 for _ in range(11)] == [True] * 10 + [False]


@pytest.mark.parametrize(("stall_every", "stall"), [(20, 0.03), (20, 0.06), (10, 0.06)])
def test_a_rate_limit_whose_waiters_wake_late_keeps_its_rate(
    stall_every: int, stall: float
) -> None:
    """A loop that stalls now and then (every `stall_every` takes, for `stall` seconds)
    wakes its waiters late; the lateness is caught up, not lost from the rate. With two
    tokens saved, a 50 TPS limit fell to 45.3 a second with 60 ms stalls every ten takes."""
    limit, now, taken = RateLimit(50), 0.0, []
    for index in range(2000):
        while (wait := limit.try_take(now)) > 0:
            now += wait + 0.001  # timers fire a little late
        taken.append(now)
        if index % stall_every == 0:
            now += stall
    achieved = (len(taken) - 1) / (taken[-1] - taken[0])
    assert achieved >= 0.99 * 50 / (WINDOW + WINDOW_GUARD)

"""Deadlines kept by one timer behave as `asyncio.timeout`: what runs past its deadline
gets a TimeoutError, what finishes in time is left alone afterwards, and a cancellation
from elsewhere stays a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.deadlines import Deadline, Deadlines

SHORT = 0.05


async def wait_for_ever_within(deadlines: Deadlines) -> None:
    with deadlines.start():
        await asyncio.Event().wait()


async def outcome_of(work: asyncio.Task[None]) -> BaseException | None:
    """How `work` ended; a guard of 5 s so that a deadline that never fires fails the test
    instead of hanging it (and its TimeoutError cannot pass for the deadline's)."""
    await asyncio.wait({work}, timeout=5)
    assert work.done(), "the deadline did not end the work"
    return work.exception()


def test_an_await_past_its_deadline_raises_timeout_error() -> None:
    async def scenario() -> None:
        work = asyncio.create_task(wait_for_ever_within(Deadlines(SHORT)))
        assert isinstance(await outcome_of(work), TimeoutError)
        assert work.cancelling() == 0

    asyncio.run(scenario())


def test_a_block_that_finishes_in_time_is_not_cancelled_later() -> None:
    async def scenario() -> None:
        deadlines = Deadlines(SHORT)
        with deadlines.start():
            await asyncio.sleep(0)
        # Wait past the deadline for an event a timer sets: a stray cancel would land here.
        later = asyncio.Event()
        asyncio.get_running_loop().call_later(SHORT * 4, later.set)
        async with asyncio.timeout(5):
            await later.wait()

    asyncio.run(scenario())


def test_only_the_tasks_still_waiting_at_their_deadline_time_out() -> None:
    async def scenario() -> None:
        deadlines = Deadlines(SHORT)
        never = asyncio.Event()
        outcomes: dict[int, str] = {}

        async def work(number: int) -> None:
            try:
                with deadlines.start():
                    if number % 2:
                        await never.wait()
                    else:
                        await asyncio.sleep(0)
                outcomes[number] = "done"
            except TimeoutError:
                outcomes[number] = "timed out"

        async with asyncio.timeout(5), asyncio.TaskGroup() as tasks:
            for number in range(100):
                tasks.create_task(work(number))
        assert outcomes == {n: "timed out" if n % 2 else "done" for n in range(100)}

    asyncio.run(scenario())


def test_deadlines_started_later_end_later() -> None:
    async def scenario() -> None:
        deadlines = Deadlines(SHORT * 4)
        loop = asyncio.get_running_loop()
        ended: dict[str, float] = {}

        async def wait(name: str) -> None:
            started = loop.time()
            with pytest.raises(TimeoutError), deadlines.start():
                await asyncio.Event().wait()
            ended[name] = loop.time() - started

        async with asyncio.timeout(5), asyncio.TaskGroup() as tasks:
            tasks.create_task(wait("first"))
            await asyncio.sleep(SHORT * 2)
            tasks.create_task(wait("second"))
        # Each ran its full length, measured from its own start, not the first one's.
        assert ended["first"] >= SHORT * 4
        assert ended["second"] >= SHORT * 4

    asyncio.run(scenario())


async def waiting_within(deadlines: Deadlines) -> tuple[asyncio.Task[None], Deadline]:
    """A task that waits for ever within a deadline of `deadlines`, once it has entered it."""
    entered: asyncio.Future[Deadline] = asyncio.get_running_loop().create_future()

    async def work() -> None:
        with deadlines.start() as deadline:
            entered.set_result(deadline)
            await asyncio.Event().wait()

    task = asyncio.create_task(work())
    async with asyncio.timeout(5):
        return task, await entered


def test_a_cancel_from_elsewhere_stays_a_cancel() -> None:
    async def scenario() -> None:
        task, _ = await waiting_within(Deadlines(5.0))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_a_cancel_from_elsewhere_at_the_deadline_is_not_swallowed() -> None:
    async def scenario() -> None:
        task, deadline = await waiting_within(Deadlines(5.0))
        # Both cancels pending before the task runs again: the outside one must win.
        task.cancel()
        deadline.expire()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_the_same_deadlines_serve_a_second_event_loop() -> None:
    deadlines = Deadlines(SHORT)

    async def times_out() -> None:
        work = asyncio.create_task(wait_for_ever_within(deadlines))
        assert isinstance(await outcome_of(work), TimeoutError)

    asyncio.run(times_out())
    asyncio.run(times_out())


def test_a_deadline_needs_a_positive_length() -> None:
    with pytest.raises(ValueError, match="positive length"):
        Deadlines(0)

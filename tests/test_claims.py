"""The claim loop: work that comes already claimed starts at once within the same bound on
work in progress as claimed work, and what finds no slot, or no loop, is handed back."""

from __future__ import annotations

import asyncio

from smsgate.claims import ClaimLoop


def test_offered_items_start_at_once_and_those_beyond_the_limit_are_handed_back() -> None:
    async def scenario() -> None:
        loop: ClaimLoop[int] = ClaimLoop(max_in_flight=2, poll_interval=60.0)
        started: list[int] = []
        both_started = asyncio.Event()
        release = asyncio.Event()
        claims: list[int] = []

        async def claim(wanted: int) -> list[int]:
            claims.append(wanted)
            return []

        async def handle(item: int) -> None:
            started.append(item)
            if len(started) == 2:
                both_started.set()
            await release.wait()

        running = asyncio.create_task(loop.run(claim, handle))
        await asyncio.sleep(0)  # the loop's first claim, then it waits (a long poll)
        assert loop.offer([0, 1, 2]) == [2]  # two slots
        assert loop.in_flight == 2
        async with asyncio.timeout(5):
            await both_started.wait()
        assert started == [0, 1]
        loop.stop()
        release.set()
        async with asyncio.timeout(5):
            await running
        assert claims == [2]  # offered work was not claimed from the store as well

    asyncio.run(scenario())


def test_items_offered_when_the_loop_is_not_running_are_handed_back() -> None:
    async def scenario() -> None:
        loop: ClaimLoop[int] = ClaimLoop(max_in_flight=4, poll_interval=60.0)

        async def claim(wanted: int) -> list[int]:
            return []

        async def handle(item: int) -> None:
            return None

        assert loop.offer([1]) == [1]  # not started yet
        running = asyncio.create_task(loop.run(claim, handle))
        await asyncio.sleep(0)
        loop.stop()
        async with asyncio.timeout(5):
            await running
        assert loop.offer([2, 3]) == [2, 3]  # nothing would ever start them now

    asyncio.run(scenario())

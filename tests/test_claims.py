"""The claim loop: work that comes already claimed starts at once, within the same bound on
work in progress as claimed work, and what comes after the loop has ended is given back."""

from __future__ import annotations

import asyncio

from smsgate.claims import ClaimLoop


def test_offered_items_start_at_once_and_wait_for_a_free_slot_beyond_the_limit() -> None:
    async def scenario() -> None:
        loop: ClaimLoop[int] = ClaimLoop(max_in_flight=2, poll_interval=60.0)
        started: list[int] = []
        release = {n: asyncio.Event() for n in range(3)}
        started_up_to = {n: asyncio.Event() for n in (2, 3)}
        claims: list[int] = []

        async def claim(wanted: int) -> list[int]:
            claims.append(wanted)
            return []

        async def handle(item: int) -> None:
            started.append(item)
            if len(started) in started_up_to:
                started_up_to[len(started)].set()
            await release[item].wait()

        running = asyncio.create_task(loop.run(claim, handle))
        await asyncio.sleep(0)  # the loop's first claim, then it waits (a long poll)
        assert loop.offer([0, 1, 2]) == []
        async with asyncio.timeout(5):
            await started_up_to[2].wait()
        await asyncio.sleep(0)  # a turn in which a third could start, if it were let
        assert started == [0, 1]  # the third waits for a slot
        assert loop.in_flight == 2
        release[0].set()
        async with asyncio.timeout(5):
            await started_up_to[3].wait()
        assert started == [0, 1, 2]
        assert loop.in_flight <= 2
        loop.stop()
        release[1].set()
        release[2].set()
        async with asyncio.timeout(5):
            await running
        assert claims[0] == 2  # offered work was not claimed from the store as well

    asyncio.run(scenario())


def test_items_offered_while_stopping_are_done_and_after_it_refused() -> None:
    async def scenario() -> None:
        loop: ClaimLoop[int] = ClaimLoop(max_in_flight=1, poll_interval=60.0)
        done: list[int] = []
        gate = asyncio.Event()

        async def claim(wanted: int) -> list[int]:
            return []

        async def handle(item: int) -> None:
            await gate.wait()
            done.append(item)

        running = asyncio.create_task(loop.run(claim, handle))
        await asyncio.sleep(0)
        assert loop.offer([1, 2]) == []  # 2 waits: one slot
        loop.stop()
        gate.set()
        async with asyncio.timeout(5):
            await running
        assert sorted(done) == [1, 2]  # leased to this node, so finished before returning
        assert loop.offer([3]) == [3]  # nothing would ever start it now

    asyncio.run(scenario())

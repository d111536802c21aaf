"""The dispatcher over a real SQLite store: retries, failures, expiry and lease recovery."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from smsgate.config import DeliverySettings
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.errors import DeliveryError, ErrorCode
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, MessageRecord, get_message
from smsgate.store.queue import ClaimedMessage
from smsgate.store.writer import GroupCommitWriter
from tests.conftest import new_record

Behaviour = Callable[[ClaimedMessage], Awaitable[tuple[str, ...]]]


class ScriptedCarrier:
    """A carrier whose answer to each attempt the test decides."""

    name = "scripted"

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.calls: Counter[tuple[str, int]] = Counter()

    async def submit(self, message: ClaimedMessage) -> tuple[str, ...]:
        self.calls[message.id, message.attempt] += 1
        return await self.behaviour(message)


async def run_until(
    database_url: str,
    carrier: ScriptedCarrier,
    done: Callable[[MessageRecord], bool],
    *,
    validity: int = 3600,
    deadline: float = 10.0,
    **settings: float,
) -> MessageRecord:
    database = Database.from_url(database_url)
    database.migrate()
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    writer = GroupCommitWriter(database.engine)
    writer.start()
    delivery = DeliverySettings(
        **{"poll_interval": 0.02, "retry_base": 0.02, "retry_max": 0.05, **settings}  # type: ignore[arg-type]
    )
    dispatcher = Dispatcher(writer, lambda _m: carrier, delivery)
    record = new_record(account.id, validity=validity)
    await writer.submit(CreateMessage(record, next_attempt_at=record.created_at))
    try:
        async with asyncio.timeout(deadline), asyncio.TaskGroup() as tasks:
            tasks.create_task(dispatcher.run())
            dispatcher.wake()
            while True:
                found = await database.read(lambda c: get_message(c, account.id, record.id))
                if done(found):
                    dispatcher.stop()
                    return found
                await asyncio.sleep(0.02)
    finally:
        await writer.aclose()
        database.dispose()


def statuses(record: MessageRecord) -> list[tuple[str, int]]:
    return [(e.status, e.attempt) for e in record.events]


def test_transient_failures_are_retried_until_sent(database_url: str) -> None:
    async def flaky(message: ClaimedMessage) -> tuple[str, ...]:
        if message.attempt < 3:
            raise DeliveryError("carrier busy", retryable=True, carrier_code=0x58)
        return ("abc123",)

    carrier = ScriptedCarrier(flaky)
    record = asyncio.run(run_until(database_url, carrier, lambda r: r.status == "sent"))
    assert statuses(record) == [
        ("queued", 0),
        ("sending", 1),
        ("queued", 1),
        ("sending", 2),
        ("queued", 2),
        ("sending", 3),
        ("sent", 3),
    ]
    assert record.events[2].detail is not None
    assert "carrier busy (carrier status 0x58)" in record.events[2].detail
    assert record.error_code is None
    assert set(carrier.calls.values()) == {1}


def test_permanent_failure_fails_with_the_carriers_code(database_url: str) -> None:
    async def refuse(_message: ClaimedMessage) -> tuple[str, ...]:
        raise DeliveryError(
            "unknown subscriber", retryable=False, code=ErrorCode.UNKNOWN_DESTINATION
        )

    record = asyncio.run(
        run_until(database_url, ScriptedCarrier(refuse), lambda r: r.status == "failed")
    )
    assert record.error_code == ErrorCode.UNKNOWN_DESTINATION
    assert record.error_message == "unknown subscriber"
    assert statuses(record) == [("queued", 0), ("sending", 1), ("failed", 1)]


def test_retries_stop_when_the_validity_period_runs_out(database_url: str) -> None:
    async def always_busy(_message: ClaimedMessage) -> tuple[str, ...]:
        raise DeliveryError("carrier busy", retryable=True)

    record = asyncio.run(
        run_until(
            database_url,
            ScriptedCarrier(always_busy),
            lambda r: r.status == "failed",
            validity=1,
            retry_base=0.3,
            retry_max=0.6,
        )
    )
    assert record.error_code == ErrorCode.VALIDITY_EXPIRED
    assert record.error_message is not None
    assert "validity period ran out" in record.error_message


def test_an_attempt_with_unknown_outcome_is_retried_only_after_its_lease(database_url: str) -> None:
    async def hang_first(message: ClaimedMessage) -> tuple[str, ...]:
        if message.attempt == 1:
            await asyncio.Event().wait()
        return ("late",)

    carrier = ScriptedCarrier(hang_first)
    record = asyncio.run(
        run_until(
            database_url,
            carrier,
            lambda r: r.status == "sent",
            submit_timeout=0.1,
            lease_seconds=0.4,
        )
    )
    assert statuses(record) == [("queued", 0), ("sending", 1), ("sending", 2), ("sent", 2)]
    assert record.events[2].detail == "lease expired; trying again"
    # The timed-out attempt was not written down as failed, and no attempt ran twice.
    assert carrier.calls == Counter({(record.id, 1): 1, (record.id, 2): 1})

"""A gateway's delivery half in one event loop, over a real store: switchboard, dispatcher,
receipt sink, and simulators the test starts and stops as carriers."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from smsgate.config import DeliverySettings
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.inbound import InboundSink
from smsgate.delivery.pacing import SenderCaps
from smsgate.delivery.receipts import ReceiptSink
from smsgate.delivery.smpp import SmppConnector, SmppConnectorConfig
from smsgate.delivery.switchboard import Switchboard
from smsgate.domain.connectors import ConnectorSpec
from smsgate.domain.ids import AccountId, new_message_id
from smsgate.domain.routing import RouteRule
from smsgate.simulator.smsc import Simulator, SubmitRecord
from smsgate.store import accounts as account_store
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, MessageRecord
from smsgate.store.schema import message_events, messages
from smsgate.store.writer import GroupCommitWriter
from tests.conftest import new_record


@dataclass
class Flow:
    database: Database
    writer: GroupCommitWriter
    switchboard: Switchboard
    dispatcher: Dispatcher
    account_id: AccountId

    def is_bound(self, name: str) -> bool:
        running = self.switchboard._running.get(name)
        return running is not None and running[1].is_bound

    def connector(self, name: str) -> SmppConnector:
        running = self.switchboard._running.get(name)
        assert running is not None, f"connector {name} is not running"
        return running[1]

    async def declare(self, specs: list[ConnectorSpec], rules: list[RouteRule]) -> None:
        def write(connection: Any) -> None:
            for spec in specs:
                connector_store.put_connector(connection, spec)
            for rule in rules:
                route_store.put_route(connection, rule)

        await asyncio.to_thread(self.database.run_sync, write)
        self.switchboard.wake()

    async def queue(self, bodies: list[str], *, sender: str, to: str = "+14155552671") -> list[str]:
        records: list[MessageRecord] = []
        for body in bodies:
            record = dataclasses.replace(
                new_record(self.account_id),
                id=new_message_id(),
                body=body,
                from_=sender,
                to=to,
                is_test=False,
            )
            records.append(record)
        for record in records:
            await self.writer.submit(CreateMessage(record, next_attempt_at=record.created_at))
        self.dispatcher.wake()
        return [record.id for record in records]

    async def statuses(self) -> dict[str, str]:
        def read(connection: Any) -> dict[str, str]:
            rows = connection.execute(select(messages.c.id, messages.c.status))
            return {row.id: row.status for row in rows}

        return await self.database.read(read)

    async def events_with_code(self, ids: list[str], code: int) -> list[str]:
        def read(connection: Any) -> list[str]:
            rows = connection.execute(
                select(message_events.c.message_id).where(
                    message_events.c.message_id.in_(ids), message_events.c.error_code == code
                )
            )
            return [row.message_id for row in rows]

        return await self.database.read(read)

    async def attempts(self, message_id: str) -> int:
        def read(connection: Any) -> int:
            return int(
                connection.execute(
                    select(messages.c.attempt).where(messages.c.id == message_id)
                ).scalar_one()
            )

        return await self.database.read(read)

    async def connectors_used(self, ids: list[str]) -> set[str]:
        def read(connection: Any) -> set[str]:
            rows = connection.execute(select(messages.c.connector).where(messages.c.id.in_(ids)))
            return {row.connector for row in rows}

        return await self.database.read(read)

    async def all_in(self, ids: list[str], wanted: tuple[str, ...]) -> bool:
        statuses = await self.statuses()
        return all(statuses[i] in wanted for i in ids)


async def until(predicate: Callable[[], Any], *, deadline: float) -> None:
    """Wait for `predicate()` (sync or a coroutine function) to be truthy, with a deadline."""
    async with asyncio.timeout(deadline):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)


@asynccontextmanager
async def running_flow(
    database_url: str, *, throttle_recovery: float = 1.0, **delivery: Any
) -> AsyncIterator[Flow]:
    database = Database.from_url(database_url)
    database.migrate()
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    writer = GroupCommitWriter(database.engine)
    writer.start()
    receipts = ReceiptSink(writer)
    inbound = InboundSink(writer, database, test_connectors=frozenset())

    def make_connector(spec: ConnectorSpec) -> SmppConnector:
        config = SmppConnectorConfig(
            name=spec.name,
            host=spec.host,
            port=spec.port,
            system_id=spec.system_id,
            password=spec.password,
            window=spec.window,
            tps=spec.tps,
            reconnect_base=0.05,
            reconnect_cap=0.3,
        )
        return SmppConnector(
            config, on_receipt=receipts, on_inbound=inbound, throttle_recovery=throttle_recovery
        )

    switchboard = Switchboard(database, make_connector, refresh=0.2)
    settings = DeliverySettings(
        **{"poll_interval": 0.05, "retry_base": 0.05, "retry_max": 0.3, **delivery}
    )
    dispatcher = Dispatcher(writer, switchboard.route, settings, mps=SenderCaps())
    flow = Flow(database, writer, switchboard, dispatcher, account.id)
    try:
        await switchboard.load()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(switchboard.run())
            tasks.create_task(dispatcher.run())
            try:
                yield flow
            finally:
                dispatcher.stop()
                switchboard.stop()
    finally:
        await writer.aclose()
        database.dispose()


def _simulate(pipe: Any, options: dict[str, Any]) -> None:
    """A SimulatorProcess's child: serve until told to stop, then send back the submits."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_reader(pipe.fileno(), stop.set)
        async with Simulator(port=0, **options) as simulator:
            pipe.send(simulator.port)
            await stop.wait()
            loop.remove_reader(pipe.fileno())
            pipe.recv()
            pipe.send(list(simulator.submits))

    asyncio.run(main())


class SimulatorProcess:
    """A Simulator in a process of its own, as a real carrier is: the time it gives each
    submit_sm at arrival waits on nothing in the gateway's process (in a thread there, it
    waits for the gateway's threads to let go of the GIL, tens of milliseconds on a busy
    machine, and arrivals bunch up)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self.port = 0
        self._pipe: Any = None
        self._process: Any = None
        self._submits: list[SubmitRecord] | None = None

    def start(self) -> SimulatorProcess:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_simulate, args=(child, self._options))
        self._process.start()
        child.close()
        assert self._pipe.poll(30), "the simulator process did not start"
        self.port = self._pipe.recv()
        return self

    def stop(self) -> None:
        """Stop it; its submits stay readable."""
        if self._submits is None and self._process.is_alive():
            self._pipe.send("stop")
            assert self._pipe.poll(30), "the simulator process did not answer"
            self._submits = self._pipe.recv()
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()

    def submits(self) -> list[SubmitRecord]:
        assert self._submits is not None, "stop() it first: the records cross when it stops"
        return self._submits


class SimulatorThread:
    """A Simulator on its own event loop in its own thread, so the timestamps it gives
    each submit_sm do not wait on the gateway's loop. `port=0` picks a free port; a
    stopped one can be started again on the same port, as a restarted SMSC would be."""

    def __init__(self, port: int = 0, **options: Any) -> None:
        self.port = port
        self._options = options
        self.simulator: Simulator | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def start(self) -> SimulatorThread:
        self._ready.clear()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the simulator did not start"
        return self

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Simulator(port=self.port, **self._options) as simulator:
            self.simulator = simulator
            self.port = simulator.port
            self._ready.set()
            await self._stop.wait()

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        assert self._thread is not None
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive(), "the simulator did not stop"

    def submits(self) -> list[SubmitRecord]:
        assert self.simulator is not None
        return list(self.simulator.submits)

    def handset(self, number: str) -> list[Any]:
        assert self.simulator is not None
        return list(self.simulator.handset(number))

    def throttle(self, next_n: int) -> None:
        assert self._loop is not None
        assert self.simulator is not None
        self._loop.call_soon_threadsafe(self.simulator.throttle, next_n)

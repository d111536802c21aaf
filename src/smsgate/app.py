"""Wires the gateway together. No logic: build the parts, start them in order, stop them
in reverse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from starlette.types import ASGIApp

from smsgate.api import ApiServices, Authenticator, create_api
from smsgate.config import Settings
from smsgate.delivery.connector import Connector
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.domain.pricing import PriceTable, parse_price_table
from smsgate.simulator.loopback import LoopbackCarrier
from smsgate.store.database import Database
from smsgate.store.queue import ClaimedMessage
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)


def load_prices(settings: Settings) -> PriceTable:
    path = settings.messages.price_file
    if path:
        return parse_price_table(Path(path).read_text(), source=f"price file '{path}'")
    text = (files("smsgate") / "data" / "prices.toml").read_text()
    return parse_price_table(text, source="built-in price table")


@dataclass
class Gateway:
    settings: Settings
    database: Database
    writer: GroupCommitWriter
    dispatcher: Dispatcher
    simulator: LoopbackCarrier


def build_gateway(settings: Settings) -> Gateway:
    database = Database.from_url(settings.database.url)
    writer = GroupCommitWriter(database.engine, max_batch=settings.database.max_batch)
    simulator = LoopbackCarrier()

    def route(message: ClaimedMessage) -> Connector | None:
        # Test-mode keys never reach a carrier. Live traffic needs a configured connector.
        return simulator if message.is_test else None

    dispatcher = Dispatcher(writer, route, settings.delivery)
    return Gateway(settings, database, writer, dispatcher, simulator)


def create_app(gateway: Gateway) -> ASGIApp:
    """The ASGI app: the API, with the gateway's lifespan."""
    settings, database = gateway.settings, gateway.database
    services = ApiServices(
        settings=settings,
        database=database,
        writer=gateway.writer,
        auth=Authenticator(
            database,
            pepper=settings.auth.pepper.get_secret_value(),
            cache_seconds=settings.auth.cache_seconds,
        ),
        prices=load_prices(settings),
        on_accepted=gateway.dispatcher.wake,
    )
    return create_api(services, lifespan=lambda _app: run_gateway(gateway))


@asynccontextmanager
async def run_gateway(gateway: Gateway) -> AsyncIterator[None]:
    await asyncio.to_thread(gateway.database.migrate)
    gateway.writer.start()
    try:
        async with asyncio.TaskGroup() as tasks:
            if gateway.settings.delivery.enabled:
                tasks.create_task(gateway.dispatcher.run(), name="dispatcher")
            try:
                yield
            finally:
                gateway.dispatcher.stop()
    finally:
        await gateway.writer.aclose()
        gateway.database.dispose()

"""Wires the gateway together. No logic: build the parts, start them in order, stop them
in reverse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

from starlette.types import ASGIApp

from smsgate.api import ApiServices, Authenticator, create_api
from smsgate.api.request_limits import RequestLimiter, build_limiter
from smsgate.config import Settings, SimulatorSettings, SmppSettings
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.inbound import InboundPolicy, InboundSink
from smsgate.delivery.pacing import SenderCaps
from smsgate.delivery.receipts import ReceiptSink
from smsgate.delivery.smpp import SmppConnector, SmppConnectorConfig
from smsgate.delivery.switchboard import Switchboard
from smsgate.domain.connectors import CARRIER, SIMULATOR, ConnectorSpec
from smsgate.domain.pricing import PriceTable, parse_price_table
from smsgate.domain.routing import SenderType
from smsgate.simulator.smsc import Simulator
from smsgate.store.database import Database
from smsgate.store.numbers import number_rates
from smsgate.store.writer import ConnectionCommitter, GroupCommitWriter
from smsgate.store.writer_process import ProcessCommitter
from smsgate.webhooks.retention import WebhookRetention
from smsgate.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)
LIVE_CONNECTOR = CARRIER
SANDBOX_CONNECTOR = SIMULATOR
# How long start-up waits for the sandbox bind before serving anyway (it keeps retrying).
SANDBOX_BIND_WAIT = 5.0


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
    switchboard: Switchboard
    receipts: ReceiptSink
    inbound: InboundSink
    simulator: Simulator | None
    carrier: SmppConnector | None
    webhooks: WebhookSender
    prices: PriceTable
    limiter: RequestLimiter | None
    sender_caps: SenderCaps
    webhook_retention: WebhookRetention | None


def build_gateway(settings: Settings) -> Gateway:
    database = Database.from_url(settings.database.url)
    # Status changes hand their webhooks straight to this node's sender, if it runs one.
    handoff = (
        timedelta(seconds=settings.webhook.lease_seconds) if settings.webhook.enabled else None
    )
    writer = GroupCommitWriter(
        database.engine,
        max_batch=settings.database.max_batch,
        committer=(
            ProcessCommitter(settings.database.url, webhook_handoff_lease=handoff)
            if settings.database.writes_in_a_process
            else ConnectionCommitter(database.engine, webhook_handoff_lease=handoff)
        ),
    )
    receipts = ReceiptSink(
        writer, {LIVE_CONNECTOR: settings.smpp.receipt_id_format, SANDBOX_CONNECTOR: "exact"}
    )
    prices = load_prices(settings)
    inbound = InboundSink(
        writer,
        InboundPolicy(
            prices=prices,
            opt_out_scope=settings.messages.opt_out_scope,
            reply_validity_period=settings.messages.default_validity_period,
            reassembly_timeout=settings.inbound.reassembly_timeout,
        ),
        test_connectors=frozenset({SANDBOX_CONNECTOR}),
        # The dispatcher is built below, on the switchboard these connectors join.
        on_reply=lambda: dispatcher.wake(),
    )
    recovery = settings.pacing.throttle_recovery

    def make_connector(spec: ConnectorSpec) -> SmppConnector:
        return SmppConnector(
            _declared_config(spec),
            on_receipt=receipts,
            on_inbound=inbound,
            throttle_recovery=recovery,
        )

    switchboard = Switchboard(
        database, make_connector, refresh=settings.delivery.connectors_refresh
    )
    carrier = None
    if settings.smpp.host:
        carrier = SmppConnector(
            _carrier_config(settings.smpp),
            on_receipt=receipts,
            on_inbound=inbound,
            throttle_recovery=recovery,
        )
        switchboard.add_builtin(LIVE_CONNECTOR, "smpp", carrier)
    simulator = None
    if settings.simulator.enabled:
        simulator = Simulator(
            host=settings.simulator.host,
            port=settings.simulator.port,
            credentials={
                settings.simulator.system_id: settings.simulator.password.get_secret_value()
            },
            receipt_delay=settings.simulator.receipt_delay,
            window=settings.simulator.window,
        )
    pacing = settings.pacing
    mps_defaults: dict[SenderType, float] = {
        "long_code": pacing.long_code_mps,
        "toll_free": pacing.toll_free_mps,
        "short_code": pacing.short_code_mps,
        "alphanumeric": pacing.alphanumeric_mps,
    }
    sender_caps = SenderCaps(mps_defaults)
    dispatcher = Dispatcher(
        writer,
        switchboard.route,
        settings.delivery,
        mps=sender_caps,
        sender_horizon=pacing.sender_horizon,
    )
    webhooks = WebhookSender(writer, database, settings.webhook)
    writer.on_commit(webhooks.wake)
    writer.on_handoff(webhooks.take)
    return Gateway(
        settings,
        database,
        writer,
        dispatcher,
        switchboard,
        receipts,
        inbound,
        simulator,
        carrier,
        webhooks,
        prices,
        build_limiter(settings.limits, redis_url=settings.redis.url.get_secret_value()),
        sender_caps,
        (
            WebhookRetention(writer, timedelta(days=settings.webhook.retention_days))
            if settings.webhook.retention_days
            else None
        ),
    )


def _carrier_config(smpp: SmppSettings) -> SmppConnectorConfig:
    return SmppConnectorConfig(
        name=LIVE_CONNECTOR,
        host=smpp.host,
        port=smpp.port,
        system_id=smpp.system_id,
        password=smpp.password.get_secret_value(),
        system_type=smpp.system_type,
        bind_mode=smpp.bind_mode,
        window=smpp.window,
        tps=smpp.tps,
        concatenation=smpp.concatenation,
        source_ton=smpp.source_ton,
        source_npi=smpp.source_npi,
        dest_ton=smpp.dest_ton,
        dest_npi=smpp.dest_npi,
    )


def _declared_config(spec: ConnectorSpec) -> SmppConnectorConfig:
    return SmppConnectorConfig(
        name=spec.name,
        host=spec.host,
        port=spec.port,
        system_id=spec.system_id,
        password=spec.password,
        system_type=spec.system_type,
        bind_mode=spec.bind_mode,
        window=spec.window,
        tps=spec.tps,
        reconnect_base=0.5,
        reconnect_cap=30.0,
    )


def _sandbox_config(simulator: SimulatorSettings, port: int) -> SmppConnectorConfig:
    return SmppConnectorConfig(
        name=SANDBOX_CONNECTOR,
        host=simulator.host,
        port=port,
        system_id=simulator.system_id,
        password=simulator.password.get_secret_value(),
        window=simulator.window,
        reconnect_base=0.2,
        reconnect_cap=5.0,
    )


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
            limiter=gateway.limiter,
        ),
        prices=gateway.prices,
        on_accepted=gateway.dispatcher.wake,
        simulator=gateway.simulator,
        switchboard=gateway.switchboard,
    )
    return create_api(services, lifespan=lambda _app: run_gateway(gateway))


@asynccontextmanager
async def run_gateway(gateway: Gateway) -> AsyncIterator[None]:
    """Start the store, the simulator and connectors, then the dispatcher; stop in reverse."""
    await asyncio.to_thread(gateway.database.migrate)
    gateway.writer.start()
    try:
        async with AsyncExitStack() as parts:
            if gateway.simulator is not None:
                simulator = await parts.enter_async_context(gateway.simulator)
                sandbox = SmppConnector(
                    _sandbox_config(gateway.settings.simulator, simulator.port),
                    on_receipt=gateway.receipts,
                    on_inbound=gateway.inbound,
                    throttle_recovery=gateway.settings.pacing.throttle_recovery,
                )
                await parts.enter_async_context(sandbox)
                gateway.switchboard.add_builtin(SANDBOX_CONNECTOR, "simulator", sandbox)
                try:
                    async with asyncio.timeout(SANDBOX_BIND_WAIT):
                        await sandbox.wait_bound()
                except TimeoutError:
                    log.warning("the simulator bind is not up yet: %s", sandbox.last_error)
            if gateway.carrier is not None:
                await parts.enter_async_context(gateway.carrier)
            # Routes are known before the first message is dispatched.
            await gateway.switchboard.load()
            async with asyncio.TaskGroup() as tasks:
                delivering = gateway.settings.delivery.enabled
                if delivering:
                    tasks.create_task(gateway.switchboard.run(), name="switchboard")
                    caps = tasks.create_task(
                        gateway.sender_caps.keep_current(
                            lambda: gateway.database.read(number_rates),
                            gateway.settings.delivery.connectors_refresh,
                        ),
                        name="sender caps",
                    )
                    dispatching = tasks.create_task(gateway.dispatcher.run(), name="dispatcher")
                if gateway.settings.webhook.enabled:
                    tasks.create_task(gateway.webhooks.run(), name="webhooks")
                    if gateway.webhook_retention is not None:
                        tasks.create_task(gateway.webhook_retention.run(), name="webhook retention")
                tasks.create_task(gateway.inbound.run(), name="inbound")
                try:
                    yield
                finally:
                    gateway.dispatcher.stop()
                    if delivering:
                        caps.cancel()
                    gateway.webhooks.stop()
                    if gateway.webhook_retention is not None:
                        gateway.webhook_retention.stop()
                    gateway.inbound.stop()
                    if delivering:
                        await dispatching  # in-flight submits end before their connectors
                    gateway.switchboard.stop()
    finally:
        await gateway.writer.aclose()
        gateway.database.dispose()
        if gateway.limiter is not None:
            await gateway.limiter.aclose()

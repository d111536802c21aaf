"""The switchboard's choice of connector: routes, the default, failover on a failing bind."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest

from smsgate.delivery.smpp import SmppConnector, SmppConnectorConfig
from smsgate.delivery.switchboard import Switchboard
from smsgate.domain.connectors import ConnectorSpec
from smsgate.domain.ids import AccountId
from smsgate.domain.routing import RouteRule
from smsgate.errors import DeliveryError
from smsgate.simulator.smsc import Simulator
from smsgate.smpp.esme import SmppTimeouts
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from smsgate.store.queue import ClaimedMessage
from tests.delivery.test_smpp_connector import message


async def _ignore(*_args: object) -> None:
    return None


def connector(name: str, simulator: Simulator) -> SmppConnector:
    config = SmppConnectorConfig(
        name=name,
        host="127.0.0.1",
        port=simulator.port,
        system_id="smsgate",
        password="secret",
        timeouts=SmppTimeouts(response=0.2),
    )
    return SmppConnector(config, on_receipt=_ignore, on_inbound=_ignore)


def live(found: ClaimedMessage) -> ClaimedMessage:
    return dataclasses.replace(found, is_test=False, account_id=AccountId("AC1"))


def never_build(_spec: ConnectorSpec) -> SmppConnector:
    raise AssertionError("no declared connectors here")


def run(database: Database, scenario: Callable[[Switchboard], Awaitable[None]]) -> None:
    async def main() -> None:
        switchboard = Switchboard(database, never_build)
        async with asyncio.timeout(20):
            await scenario(switchboard)

    asyncio.run(main())


def test_a_failing_connector_hands_messages_to_the_next(database: Database) -> None:
    database.run_sync(
        lambda c: route_store.add_route(c, RouteRule("both", ("carrier", "simulator")))
    )

    async def scenario(switchboard: Switchboard) -> None:
        async with Simulator() as first, Simulator() as second:
            a, b = connector("carrier", first), connector("simulator", second)
            async with a, b:
                await a.wait_bound()
                await b.wait_bound()
                switchboard.add_builtin("carrier", "smpp", a)
                switchboard.add_builtin("simulator", "simulator", b)
                await switchboard.load()
                assert switchboard.route(live(message())) is a
                first.pause()  # answers stop coming: each submit times out
                for number in range(3):
                    with pytest.raises(DeliveryError) as caught:
                        await a.submit(message(number=number))
                    assert caught.value.retryable
                assert a.is_bound
                assert not a.is_available
                assert switchboard.route(live(message())) is b
                first.resume()

    run(database, scenario)


def test_test_mode_messages_never_take_a_carrier(database: Database) -> None:
    async def scenario(switchboard: Switchboard) -> None:
        async with Simulator() as sim:
            carrier = connector("carrier", sim)
            async with carrier:
                await carrier.wait_bound()
                switchboard.add_builtin("carrier", "smpp", carrier)
                await switchboard.load()
                test_mode = dataclasses.replace(message(), is_test=True)
                with pytest.raises(DeliveryError, match="simulator, which is off"):
                    switchboard.route(test_mode)  # no simulator on this gateway
                assert switchboard.route(live(message())) is carrier

    run(database, scenario)


def test_with_no_connector_at_all_live_messages_wait(database: Database) -> None:
    async def scenario(switchboard: Switchboard) -> None:
        await switchboard.load()
        with pytest.raises(DeliveryError, match="SMSGATE_SMPP_HOST") as caught:
            switchboard.route(live(message()))
        assert caught.value.retryable

    run(database, scenario)

"""Which connector a message leaves through, and the connectors this node runs.

The switchboard keeps the connectors declared in the store running (starting, stopping
and rebinding them as the store changes; it rereads the store every `refresh` seconds,
or at once when woken after a change made here) beside the built-in ones: "simulator",
the sandbox SMSC that test-mode keys send to, and "carrier", the bind of the `[smpp]`
settings.

A message takes the first route that matches it (`domain.routing`) and leaves through
the first of the route's connectors that is available (bound and not failing), so a
connector that goes down hands its messages to the next one and takes them back once it
is bound again. With no route matching, today's default holds: test-mode messages go to
"simulator", live ones to "carrier". Whatever the route says, a test-mode message never
leaves through a connector of kind `smpp` (a carrier).

Each attempt picks afresh; an attempt that fails is retried with backoff and then picks
again, so nothing is lost while connectors come and go, and at most one connector
submits each attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection

from smsgate.delivery.smpp import SmppConnector
from smsgate.domain.connectors import CARRIER, SIMULATOR, ConnectorKind, ConnectorSpec
from smsgate.domain.phone import parse_destination
from smsgate.domain.routing import MessageFacts, Mode, RouteRule, match_route
from smsgate.errors import DeliveryError, ErrorCode, InvalidToError
from smsgate.store import connectors as connector_store
from smsgate.store import routes as route_store
from smsgate.store.database import Database
from smsgate.store.queue import ClaimedMessage

log = logging.getLogger(__name__)

ConnectorFactory = Callable[[ConnectorSpec], SmppConnector]


def _country(number: str) -> str:
    try:
        return parse_destination(number).country
    except InvalidToError:
        return ""


class Switchboard:
    def __init__(
        self, database: Database, make_connector: ConnectorFactory, *, refresh: float = 5.0
    ) -> None:
        self._database = database
        self._make_connector = make_connector
        self._refresh = refresh
        self._builtin: dict[str, tuple[ConnectorKind, SmppConnector]] = {}
        self._specs: dict[str, ConnectorSpec] = {}
        self._running: dict[str, tuple[ConnectorSpec, SmppConnector]] = {}
        self._routes: tuple[RouteRule, ...] = ()
        self._wake = asyncio.Event()
        self._stopping = False

    def add_builtin(self, name: str, kind: ConnectorKind, connector: SmppConnector) -> None:
        self._builtin[name] = (kind, connector)

    def wake(self) -> None:
        """Reread the store now (after a change to connectors or routes)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    # -- the store ---------------------------------------------------------------

    async def load(self) -> None:
        """Read connectors and routes from the store (without starting anything)."""

        def read(connection: Connection) -> tuple[list[ConnectorSpec], tuple[RouteRule, ...]]:
            return (
                connector_store.list_connectors(connection),
                route_store.list_routes(connection),
            )

        specs, rules = await self._database.read(read)
        self._specs = {spec.name: spec for spec in specs}
        self._routes = rules

    async def run(self) -> None:
        """Keep the declared connectors running until `stop()`; then close them all."""
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self.load()
                    await self._reconcile()
                except Exception:
                    log.exception("could not reload connectors and routes; keeping the old ones")
                with suppress(TimeoutError):
                    async with asyncio.timeout(self._refresh):
                        await self._wake.wait()
        finally:
            await self._close(list(self._running))

    async def _reconcile(self) -> None:
        wanted = {name: spec for name, spec in self._specs.items() if spec.enabled}
        changed = [
            name for name, (spec, _connector) in self._running.items() if wanted.get(name) != spec
        ]
        await self._close(changed)
        for name, spec in wanted.items():
            if name in self._running:
                continue
            connector = self._make_connector(spec)
            await connector.start()
            self._running[name] = (spec, connector)
            log.info("connector %r started (%s:%d)", name, spec.host, spec.port)

    async def _close(self, names: list[str]) -> None:
        for name in names:
            _spec, connector = self._running.pop(name)
            try:
                await connector.aclose()
            except Exception:
                log.exception("closing connector %r failed", name)
            log.info("connector %r stopped", name)

    # -- routing -----------------------------------------------------------------

    def _lookup(self, name: str) -> tuple[ConnectorKind, SmppConnector] | None:
        if name in self._builtin:
            return self._builtin[name]
        running = self._running.get(name)
        return None if running is None else (running[0].kind, running[1])

    def route(self, message: ClaimedMessage) -> SmppConnector:
        """The connector for `message`; DeliveryError (retryable) if none is available."""
        mode: Mode = "test" if message.is_test else "live"
        facts = MessageFacts(
            message.to, _country(message.to), message.account_id, message.from_, mode
        )
        rule = match_route(self._routes, facts)
        names = rule.connectors if rule else ((SIMULATOR,) if message.is_test else (CARRIER,))
        candidates: list[SmppConnector] = []
        for name in names:
            found = self._lookup(name)
            if found is None:
                continue
            kind, connector = found
            if message.is_test and kind != "simulator":
                continue  # test-mode keys never reach a carrier
            if connector.is_available:
                return connector
            candidates.append(connector)
        raise self._nothing_available(message, rule, candidates)

    def _nothing_available(
        self, message: ClaimedMessage, rule: RouteRule | None, candidates: list[SmppConnector]
    ) -> DeliveryError:
        if rule is None and not candidates:
            if message.is_test:
                detail = (
                    "Test-mode messages go to the simulator, which is off on this gateway "
                    "(SMSGATE_SIMULATOR_ENABLED=0)."
                )
            else:
                detail = (
                    "No carrier connector is configured for live messages; set "
                    "SMSGATE_SMPP_HOST (and the bind's credentials), add a route, or send "
                    "with a test-mode key."
                )
        else:
            via = f"route {rule.name!r}" if rule else "the default route"
            why = "; ".join(f"{c.name!r}: {c.last_error or 'not bound'}" for c in candidates)
            detail = (
                f"No connector of {via} can take the message now"
                f" ({why or 'none of its connectors runs on this node'})."
            )
        return DeliveryError(detail, retryable=True, code=ErrorCode.UNREACHABLE)

    # -- live state ----------------------------------------------------------------

    def states(self) -> list[dict[str, Any]]:
        """Every connector: its declaration (never the password) and its live state."""
        found: list[dict[str, Any]] = []
        for name, (kind, connector) in sorted(self._builtin.items()):
            config = connector.config
            found.append(
                {
                    "name": name,
                    "kind": kind,
                    "builtin": True,
                    "host": config.host,
                    "port": config.port,
                    "system_id": config.system_id,
                    "system_type": config.system_type,
                    "bind_mode": config.bind_mode,
                    "window": config.window,
                    "tps": config.tps,
                    "enabled": True,
                    "state": connector.state(),
                }
            )
        for name, spec in sorted(self._specs.items()):
            running = self._running.get(name)
            found.append(
                {**describe(spec), "state": running[1].state() if running else idle_state()}
            )
        return found


def describe(spec: ConnectorSpec) -> dict[str, Any]:
    """A declared connector as the API and CLI show it: everything but the password."""
    return {
        "name": spec.name,
        "kind": spec.kind,
        "builtin": False,
        "host": spec.host,
        "port": spec.port,
        "system_id": spec.system_id,
        "system_type": spec.system_type,
        "bind_mode": spec.bind_mode,
        "window": spec.window,
        "tps": spec.tps,
        "enabled": spec.enabled,
    }


def idle_state() -> dict[str, Any]:
    """The state of a connector this node does not run (disabled, or not loaded yet)."""
    return {
        "bound": False,
        "available": False,
        "window_in_use": 0,
        "window_limit": 0,
        "tps": 0,
        "tps_limit": None,
        "queue_depth": 0,
        "errors_last_minute": 0,
        "submitted": 0,
        "pushbacks": 0,
        "last_error": None,
    }

"""Fixtures that start the real thing: a gateway (uvicorn + app) on 127.0.0.1 port 0 over
a real SQLite file, with accounts and keys made through the store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.app import Gateway, build_gateway, create_app
from smsgate.config import Settings, load_settings
from smsgate.domain.ids import AccountId, new_message_id
from smsgate.http_server import server_config
from smsgate.store import accounts as account_store
from smsgate.store import numbers as number_store
from smsgate.store.database import Database
from smsgate.store.messages import MessageRecord

# Hypothesis's per-example deadline is a timing assertion, and these tests assert behaviour
# (speed is make bench's): on a loaded 2-core machine a first example that builds its
# strategies took 1.7 s, and failed a 200 ms deadline that had nothing to do with pickling.
settings.register_profile("smsgate", deadline=None)
settings.load_profile("smsgate")

START_DEADLINE = 15.0
SENDER = "+15005550006"
RECIPIENT = "+14155552671"


def wait_for(condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll `condition` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class Credentials:
    account_id: str
    key_id: str
    secret: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.key_id, self.secret)


class RunningGateway:
    """A gateway served by uvicorn in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.gateway: Gateway = build_gateway(settings)
        self.database: Database = self.gateway.database
        self.database.migrate()
        self._server = uvicorn.Server(
            server_config(create_app(self.gateway), log_level="warning", lifespan="on")
        )
        self.base_url = ""

    def start(self) -> RunningGateway:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=START_DEADLINE)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_DEADLINE)
        self._socket.close()
        assert not self._thread.is_alive(), "gateway did not stop in time"

    def account(self, name: str, *, mode: str = "test") -> Credentials:
        pepper = self.settings.auth.pepper.get_secret_value()

        def create(connection: Any) -> Credentials:
            account = account_store.find_account(connection, name) or account_store.create_account(
                connection, name
            )
            key, secret = account_store.create_key(
                connection,
                account.id,
                mode=mode,
                name="tests",
                pepper=pepper,  # type: ignore[arg-type]
            )
            return Credentials(account.id, key.id, secret)

        return self.database.run_sync(create)

    def add_number(self, credentials: Credentials, e164: str) -> None:
        self.database.run_sync(
            lambda c: number_store.add_number(c, credentials.account_id, e164, inbound_url=None)  # type: ignore[arg-type]
        )

    def client(self, credentials: Credentials | None = None, **kwargs: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            auth=credentials.auth if credentials else None,
            timeout=10,
            **kwargs,
        )


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: str) -> Settings:
    environ = {
        "SMSGATE_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'smsgate.db'}",
        "SMSGATE_DELIVERY_POLL_INTERVAL": "0.05",
        "SMSGATE_DELIVERY_RETRY_BASE": "0.05",
        "SMSGATE_DELIVERY_RETRY_MAX": "0.2",
        "SMSGATE_SIMULATOR_RECEIPT_DELAY": "0.05",
        "SMSGATE_WEBHOOK_RETRY_BASE": "0.05",
        "SMSGATE_WEBHOOK_RETRY_MAX": "0.2",
        "SMSGATE_WEBHOOK_POLL_INTERVAL": "0.05",
        # In-process gateways write from a thread: a writer process per test would cost a
        # second each. tests/api/test_writer_process.py runs the default, a process;
        # SMSGATE_TEST_DATABASE_WRITER=process runs every test that way.
        "SMSGATE_DATABASE_WRITER": os.environ.get("SMSGATE_TEST_DATABASE_WRITER", "thread"),
    }
    environ.update({f"SMSGATE_{k.upper()}": v for k, v in overrides.items()})
    return load_settings(environ)


POSTGRES_ADMIN_URL = os.environ.get(
    "SMSGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def services_required() -> bool:
    """CI sets SMSGATE_REQUIRE_SERVICES=1: there a missing server fails instead of skipping."""
    return os.environ.get("SMSGATE_REQUIRE_SERVICES") == "1"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    try:
        admin = psycopg.connect(
            POSTGRES_ADMIN_URL,
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        if services_required():
            pytest.fail(f"PostgreSQL is required (SMSGATE_REQUIRE_SERVICES=1) but: {exc}")
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}")
    name = f"smsgate_test_{os.getpid()}_{time.monotonic_ns()}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store-backed test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smsgate.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated store on each backend, its connections closed afterwards."""
    store = Database.from_url(database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def start_gateway(tmp_path: Path, database_url: str) -> Iterator[Callable[..., RunningGateway]]:
    """Start gateways with setting overrides (`delivery_enabled="0"`); all stop at teardown."""
    started: list[RunningGateway] = []

    def start(**overrides: str) -> RunningGateway:
        running = RunningGateway(make_settings(tmp_path, database_url, **overrides)).start()
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.stop()


@pytest.fixture
def gateway(start_gateway: Callable[..., RunningGateway]) -> RunningGateway:
    return start_gateway()


@pytest.fixture
def account(gateway: RunningGateway) -> Credentials:
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    return credentials


@pytest.fixture
def client(gateway: RunningGateway, account: Credentials) -> Iterator[httpx.Client]:
    with gateway.client(account) as http:
        yield http


def new_record(account_id: AccountId, *, validity: int = 3600) -> MessageRecord:
    now = datetime.now(UTC)
    return MessageRecord(
        id=new_message_id(),
        account_id=account_id,
        direction="outbound-api",
        to=RECIPIENT,
        from_=SENDER,
        body="hello",
        status="queued",
        encoding="GSM-7",
        segments=1,
        price="0.0079",
        price_unit="USD",
        country="US",
        is_test=True,
        status_callback=None,
        validity_period=validity,
        expires_at=now + timedelta(seconds=validity),
        attempt=0,
        error_code=None,
        error_message=None,
        created_at=now,
        updated_at=now,
    )


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookSink:
    """A real HTTP server on 127.0.0.1 that records every request and answers with the
    next scripted status (200 once the script runs out), after the next of `delays` (a slow
    receiver), if any."""

    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self.delays: list[float] = []
        app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/hooks"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    async def _receive(self, request: Request) -> Response:
        self.received.append(ReceivedWebhook(dict(request.headers), await request.body()))
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))  # a receiver slow to answer
        status, headers = self.script.pop(0) if self.script else (200, {})
        return Response(f"status {status}", status, headers)

    def start(self) -> WebhookSink:
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=START_DEADLINE)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_DEADLINE)
        self._socket.close()

    def events(self, message_id: str) -> list[str]:
        return [
            w.json()["data"]["status"]
            for w in self.received
            if w.json()["data"]["id"] == message_id
        ]


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink().start()
    yield sink
    sink.stop()


@contextlib.contextmanager
def killed_gateway(**settings: str) -> Iterator[str]:
    """`smsgate serve` in its own process, with SMSGATE_* `settings`; yields its URL and
    kills it with SIGKILL afterwards, as a crash would."""
    env = {**os.environ, **{f"SMSGATE_{k.upper()}": v for k, v in settings.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "smsgate.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = ""
        for line in process.stdout:
            if line.startswith("smsgate listening on"):
                base_url = line.split()[-1]
            if "Application startup complete" in line:
                break
        assert base_url, "the gateway did not start"
        yield base_url
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()

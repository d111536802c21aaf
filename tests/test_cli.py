"""The `smsgate` command, run for real as a subprocess against each store backend (a SQLite
file in tmp_path, PostgreSQL), and against a gateway sharing that store."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, inspect, text

from smsgate.domain.credentials import secret_matches
from smsgate.store import accounts as account_store
from smsgate.store.database import Database
from smsgate.store.schema import metadata
from tests.conftest import RECIPIENT, SENDER, RunningGateway, wait_for
from tests.store.test_migrations import head_revision

Run = Callable[..., subprocess.CompletedProcess[str]]
CLI_TIMEOUT = 30.0
# Variables that would change how the CLI prints (rich reads COLUMNS and FORCE_COLOR).
_PRINTING = {"COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    """A clean environment whose database is the one `start_gateway` uses (each backend)."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_") and k not in _PRINTING
    }
    environ["SMSGATE_DATABASE_URL"] = database_url
    return environ


@pytest.fixture
def smsgate(cli_env: dict[str, str], tmp_path: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "smsgate.cli", *args],
            capture_output=True,
            text=True,
            env=cli_env,
            cwd=tmp_path,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    return run


@pytest.fixture
def store(database_url: str) -> Iterator[Database]:
    """The CLI's database, opened here to check what the CLI did (not migrated by us)."""
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def assert_one_error_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Exit status 2, nothing on stdout, and exactly one `error:` line on stderr."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0]
    return lines[0]


def create_key(smsgate: Callable[..., Any], account: str = "acme") -> dict[str, str]:
    assert smsgate("accounts", "create", account).returncode == 0
    result = smsgate("keys", "create", "--account", account, "--test", "--json")
    assert result.returncode == 0, result.stderr
    key: dict[str, str] = json.loads(result.stdout)
    return key


# accounts


def test_accounts_create_json_prints_the_new_account(smsgate: Run, store: Database) -> None:
    result = smsgate("accounts", "create", "acme", "--json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"account_id", "name"}
    assert created["name"] == "acme"
    assert created["account_id"].startswith("AC")
    assert len(created["account_id"]) == 34
    found = store.run_sync(lambda c: account_store.find_account(c, "acme"))
    assert found is not None
    assert found.id == created["account_id"]


def test_creating_an_account_twice_exits_2_with_one_clear_line(
    smsgate: Run, store: Database
) -> None:
    assert smsgate("accounts", "create", "acme").returncode == 0
    result = smsgate("accounts", "create", "acme", "--json")
    line = assert_one_error_line(result)
    assert line == "error: An account named 'acme' already exists."
    assert len(store.run_sync(account_store.list_accounts)) == 1


# keys


def test_keys_create_prints_the_secret_once_and_list_never_does(
    smsgate: Run, store: Database
) -> None:
    key = create_key(smsgate)
    assert set(key) == {"account_id", "key_id", "secret"}
    assert key["key_id"].startswith("SK")
    assert key["account_id"].startswith("AC")
    stored = store.run_sync(lambda c: account_store.find_key(c, key["key_id"]))
    assert stored is not None
    assert stored.mode == "test"
    assert secret_matches(key["secret"], stored.secret_hash, pepper="")

    listed = smsgate("keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "key_id": key["key_id"],
            "account_id": key["account_id"],
            "mode": "test",
            "name": "",
            "revoked": False,
        }
    ]
    assert key["secret"] not in listed.stdout
    assert stored.secret_hash not in listed.stdout


def test_keys_create_for_an_unknown_account_exits_2(smsgate: Run, store: Database) -> None:
    result = smsgate("keys", "create", "--account", "nobody", "--json")
    assert_one_error_line(result, "No account is named or has the id 'nobody'.")
    assert store.run_sync(account_store.list_keys) == []


def test_revoked_key_gets_401_from_a_running_gateway(
    smsgate: Run,
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway()
    key = create_key(smsgate)
    with gateway.client() as http:
        auth = (key["key_id"], key["secret"])
        assert http.get("/v1/messages", auth=auth).status_code == 200  # now in the auth cache

        revoked = smsgate("keys", "revoke", key["key_id"])
        assert revoked.returncode == 0, revoked.stderr
        assert revoked.stdout.strip() == f"revoked {key['key_id']}"

        # Another process revoked it: refused once the 1 s auth cache has expired.
        response = wait_for(
            lambda: (r := http.get("/v1/messages", auth=auth)).status_code == 401 and r,
            timeout=5,
        )
        assert response.json()["detail"] == (
            f"The API key {key['key_id']} was revoked; create a new one."
        )
    listed = json.loads(smsgate("keys", "list", "--json").stdout)
    assert [k["revoked"] for k in listed] == [True]


def test_revoking_an_unknown_key_exits_2(
    smsgate: Run,
) -> None:
    assert_one_error_line(smsgate("keys", "revoke", "SKnope"), "'SKnope'")


# numbers


def test_numbers_add_lets_the_account_send_from_it(
    smsgate: Run,
    start_gateway: Callable[..., RunningGateway],
) -> None:
    gateway = start_gateway()
    key = create_key(smsgate)
    payload = {"to": RECIPIENT, "from": SENDER, "body": "hello"}
    with gateway.client() as http:
        auth = (key["key_id"], key["secret"])
        refused = http.post("/v1/messages", json=payload, auth=auth)
        assert refused.status_code == 400
        assert refused.json()["code"] == 21606

        added = smsgate("numbers", "add", SENDER, "--account", "acme")
        assert added.returncode == 0, added.stderr
        assert SENDER in added.stdout
        assert key["account_id"] in added.stdout

        accepted = http.post("/v1/messages", json=payload, auth=auth)  # a miss is read fresh
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["from"] == SENDER


def test_numbers_add_refuses_a_non_number_with_one_line(
    smsgate: Run,
) -> None:
    assert smsgate("accounts", "create", "default").returncode == 0
    result = smsgate("numbers", "add", "not a number!")
    assert_one_error_line(result, "'not a number!' is not a number smsgate can send from")


# send


@pytest.fixture
def sender_key(gateway: RunningGateway) -> dict[str, str]:
    credentials = gateway.account("acme")
    gateway.add_number(credentials, SENDER)
    return {"key_id": credentials.key_id, "secret": credentials.secret}


def send_args(gateway: RunningGateway, key: dict[str, str], to: str = RECIPIENT) -> list[str]:
    return [
        "send",
        *("--to", to, "--body", "Your code is 123456", "--from", SENDER),
        *("--url", gateway.base_url, "--key-id", key["key_id"], "--secret", key["secret"]),
    ]


def test_send_prints_the_message_id(
    smsgate: Run,
    gateway: RunningGateway,
    sender_key: dict[str, str],
) -> None:
    result = smsgate(*send_args(gateway, sender_key))
    assert result.returncode == 0, result.stderr
    message_id, rest = result.stdout.strip().split(" ", 1)
    assert message_id.startswith("SM")
    assert len(message_id) == 34
    assert rest == "queued: 1 segment(s), GSM-7, 0.0079 USD"
    auth = (sender_key["key_id"], sender_key["secret"])
    with gateway.client() as http:
        assert http.get(f"/v1/messages/{message_id}", auth=auth).json()["to"] == RECIPIENT


def test_send_json_prints_the_message(
    smsgate: Run,
    gateway: RunningGateway,
    sender_key: dict[str, str],
) -> None:
    result = smsgate(*send_args(gateway, sender_key), "--json")
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["id"].startswith("SM")
    assert message["status"] == "queued"
    assert (message["to"], message["from"]) == (RECIPIENT, SENDER)


def test_send_with_a_bad_to_exits_2_with_the_apis_sentence(
    smsgate: Run,
    gateway: RunningGateway,
    sender_key: dict[str, str],
) -> None:
    to = "+1 (415) 555-2671"
    auth = (sender_key["key_id"], sender_key["secret"])
    with gateway.client() as http:
        payload = {"to": to, "from": SENDER, "body": "x"}
        problem = http.post("/v1/messages", json=payload, auth=auth).json()
    result = smsgate(*send_args(gateway, sender_key, to=to))
    line = assert_one_error_line(result)
    assert line == f"error: {problem['detail']} (code 21211)"
    assert "'+14155552671'" in line


def test_send_to_a_closed_port_exits_2_with_one_line(
    smsgate: Run,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = smsgate(
        "send", "--to", RECIPIENT, "--body", "hi", "--from", SENDER,
        "--url", url, "--key-id", "SKx", "--secret", "y",
    )  # fmt: skip
    assert_one_error_line(result, f"cannot reach the gateway at {url}", "smsgate serve")


def test_send_without_credentials_exits_2(
    smsgate: Run,
) -> None:
    result = smsgate("send", "--to", RECIPIENT, "--body", "hi", "--from", SENDER)
    assert_one_error_line(result, "--key-id and --secret")


# db


def test_db_upgrade_is_idempotent(smsgate: Run, store: Database) -> None:
    def schema(connection: Connection) -> dict[str, Any]:
        inspector = inspect(connection)
        return {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                sorted(i["name"] or "" for i in inspector.get_indexes(table)),
            )
            for table in inspector.get_table_names()
        }

    assert store.run_sync(schema) == {}
    first = smsgate("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "database is up to date"
    before = store.run_sync(schema)
    assert set(before) == {*metadata.tables, "alembic_version"}
    assert smsgate("accounts", "create", "acme").returncode == 0

    second = smsgate("db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "database is up to date"
    assert store.run_sync(schema) == before
    version = "SELECT version_num FROM alembic_version"
    assert store.run_sync(lambda c: c.execute(text(version)).all()) == [(head_revision(),)]
    assert [a.name for a in store.run_sync(account_store.list_accounts)] == ["acme"]


# serve --sandbox

LISTENING = "smsgate listening on http://127.0.0.1:"
START_DEADLINE = 20.0


class Server:
    """`smsgate serve --sandbox --port 0` in a subprocess, its stdout read line by line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.stderr_path = cwd / f"serve-{time.monotonic_ns()}.err"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "smsgate.cli", "serve", "--sandbox", "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
                cwd=cwd,
            )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.lines: list[str] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def read_until(self, prefix: str) -> str:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no line starting {prefix!r} within {START_DEADLINE} s: {self.lines}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"serve exited before {prefix!r}: {self.lines} {self.stderr()}")
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    def line_starting(self, prefix: str) -> str:
        return next(line for line in self.lines if line.strip().startswith(prefix)).strip()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=START_DEADLINE)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=START_DEADLINE)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def serve(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], Server]]:
    started: list[Server] = []

    def start() -> Server:
        server = Server(cli_env, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def curl(command_line: str) -> dict[str, Any]:
    argv = shlex.split(command_line)
    assert argv[0] == "curl"
    result = subprocess.run(
        [*argv, "--silent", "--show-error", "--max-time", "10"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_serve_accepts_connections_once_it_says_it_is_listening(
    serve: Callable[[], Server],
) -> None:
    server = serve()
    base_url = server.read_until(LISTENING).removeprefix("smsgate listening on ")
    port = int(base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_serve_sandbox_prints_a_working_curl_and_keeps_its_key(
    serve: Callable[[], Server], tmp_path: Path
) -> None:
    first = serve()
    base_url = first.read_until(LISTENING).removeprefix("smsgate listening on ")
    wait_for(lambda: _healthy(base_url), timeout=START_DEADLINE)
    key_id = first.line_starting("API key id:").split()[-1]
    secret = first.line_starting("secret:").split()[-1]
    assert key_id.startswith("SK")
    assert first.line_starting("from number:").endswith("+15005550006")

    message = curl(first.line_starting("curl "))
    assert message["status"] == "queued"
    assert message["id"].startswith("SM")
    assert message["body"] == "Hello from smsgate!"

    status = first.terminate()
    assert status in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in first.stderr()

    state = tmp_path / ".smsgate" / "sandbox.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    saved = json.loads(state.read_text())
    assert (saved["key_id"], saved["secret"]) == (key_id, secret)

    second = serve()
    second_url = second.read_until(LISTENING).removeprefix("smsgate listening on ")
    assert second.line_starting("API key id:").split()[-1] == key_id
    assert second.line_starting("secret:").split()[-1] == secret
    wait_for(lambda: _healthy(second_url), timeout=START_DEADLINE)
    assert curl(second.line_starting("curl "))["status"] == "queued"
    assert second.terminate() in (0, -signal.SIGTERM)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False

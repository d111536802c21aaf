"""Fixtures for the SDK: a real gateway (SQLite is enough: the SDK does not see the store)
and, for fault paths only, a loopback HTTP server that answers from a script and can pass
requests through to the real gateway."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate_client import Client, RetryPolicy
from tests.conftest import SENDER, Credentials, RunningGateway

# Fast retries for tests: the policy's shape is what is tested, not its default waits.
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, total_timeout=10)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'smsgate.db'}"


@pytest.fixture
def gateway(start_gateway: Callable[..., RunningGateway]) -> RunningGateway:
    return start_gateway(webhook_allow_private="1")


@pytest.fixture
def sdk(gateway: RunningGateway, account: Credentials) -> Iterator[Client]:
    with Client(
        account.key_id,
        account.secret,
        base_url=gateway.base_url,
        default_from=SENDER,
        retry=FAST,
        environ={},
    ) as client:
        yield client


@dataclass
class Step:
    """One scripted answer: `status` with `headers` and `body`; with `forward`, the request
    first goes to the upstream gateway (and its answer is replaced by this one, as when
    the answer is lost on the way back), or, with status None, its answer is passed on."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    forward: bool = False
    delay: float = 0.0  # the server is slow to answer: provokes client timeouts


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FaultServer:
    """A real HTTP server on 127.0.0.1 that plays `script`, then forwards to `upstream`."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self.script: list[Step] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.seen.append(Seen(self.command, self.path, headers, body))
                    step = owner.script.pop(0) if owner.script else Step(forward=True)
                status, answer_headers, content = owner._answer(step, self, headers, body)
                if step.delay:
                    time.sleep(step.delay)
                try:
                    self.send_response(status)
                    for name, value in answer_headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as the test intends

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(
        self, step: Step, request: BaseHTTPRequestHandler, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if step.forward:
            assert self.upstream, "a forwarding step needs an upstream gateway"
            passed = {k: v for k, v in headers.items() if k not in ("host", "content-length")}
            upstream = httpx.request(
                request.command,
                self.upstream + request.path,
                headers=passed,
                content=body,
                timeout=10,
            )
            if step.status is None:
                kept = {"content-type": upstream.headers.get("content-type", "application/json")}
                return upstream.status_code, kept, upstream.content
        assert step.status is not None
        content = json.dumps(step.body if step.body is not None else {}).encode()
        return step.status, {"content-type": "application/json", **step.headers}, content

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def problem(status: int, code: int, detail: str) -> dict[str, Any]:
    return {"type": f"https://smsgate.dev/errors/{code}", "title": "x", "status": status,
            "detail": detail, "code": code}  # fmt: skip


@pytest.fixture
def faults(gateway: RunningGateway) -> Iterator[FaultServer]:
    server = FaultServer(upstream=gateway.base_url).start()
    yield server
    server.stop()

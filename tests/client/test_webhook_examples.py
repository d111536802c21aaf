"""The Flask and FastAPI handlers in client/README.md, run as written: each is served on
loopback as a real gateway's status webhook, and must verify what the gateway sends and
refuse a forgery."""

from __future__ import annotations

import re
import socket
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from werkzeug.serving import make_server

from smsgate_client import Client
from tests.conftest import RECIPIENT, START_DEADLINE, wait_for

README = Path(__file__).parents[2] / "client" / "README.md"


def example(framework: str) -> str:
    """The python block that follows the line `<framework>:` in the README."""
    match = re.search(rf"^{framework}:\n\n```python\n(.*?)```", README.read_text(), re.M | re.S)
    assert match, f"no {framework} example in {README}"
    return match.group(1)


@contextmanager
def served_flask(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=START_DEADLINE)


@contextmanager
def served_fastapi(app: Any) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=START_DEADLINE)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_DEADLINE)
        listener.close()


SERVERS: dict[str, Callable[[Any], Any]] = {"Flask": served_flask, "FastAPI": served_fastapi}


@pytest.mark.parametrize("framework", ["Flask", "FastAPI"])
def test_the_readme_handler_verifies_real_webhooks_and_refuses_forgeries(
    framework: str, sdk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = sdk.account.get().webhook_secret
    assert secret is not None
    monkeypatch.setenv("SMSGATE_WEBHOOK_SECRET", secret)
    seen: list[tuple[Any, ...]] = []
    # A module of its own, as the example would be in an app (Flask looks its file up).
    module = types.ModuleType(f"readme_{framework.lower()}_example")
    module.__file__ = str(README)
    module.print = lambda *args: seen.append(args)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example(framework), f"{README} ({framework})", "exec"), module.__dict__)

    with SERVERS[framework](module.app) as base_url:
        url = f"{base_url}/smsgate/status"
        sent = sdk.messages.send(RECIPIENT, "to a handler", status_callback=url)
        wait_for(lambda: ("message.status", sent.id, "delivered") in seen)
        forged = httpx.post(
            url,
            content=b'{"type": "message.status", "data": {}}',
            headers={"webhook-id": "msg_x", "webhook-timestamp": "1",
                     "webhook-signature": "v1,AAAA"},
        )  # fmt: skip
    assert forged.status_code == 400

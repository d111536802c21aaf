"""The SDK's public surface: `__all__` is honest, every error is exported, and the
typed results keep their types for an IDE (checked by mypy over this file)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import assert_type

import smsgate_client
from smsgate_client import Client, Message, _errors, _models


def test_all_is_sorted_and_importable() -> None:
    names = smsgate_client.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert hasattr(smsgate_client, name), name


def test_every_error_and_result_type_is_exported() -> None:
    for module in (_errors, _models):
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                assert name in smsgate_client.__all__, name


def test_the_package_needs_nothing_but_httpx() -> None:
    # Run in a fresh interpreter that cannot import the gateway's dependencies.
    blocked = ["smsgate", "phonenumbers", "standardwebhooks", "fastapi", "msgspec", "sqlalchemy"]
    program = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import smsgate_client, smsgate_client.webhooks, smsgate_client.phone\n"
        "print(smsgate_client.phone.to_e164('(415) 555-2671', region='US'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "+14155552671"


def typed_usage(client: Client) -> None:  # never called: mypy checks the annotations
    message = client.messages.send("+14155552671", "hi", from_="+15005550006")
    assert_type(message, Message)
    assert_type(message.segments, int | None)
    assert_type(next(client.messages.list()), Message)

"""The local sandbox `make run` starts: a default account, a test-mode key and a number.

The key's secret is shown once and stored only as a hash, so to print a working key on
every start we keep the sandbox credentials in a file next to the database (mode 0600).
If the file is gone or its key was revoked, a new test key is made.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Connection

from smsgate.domain.credentials import secret_matches
from smsgate.store import accounts as account_store
from smsgate.store import numbers as number_store
from smsgate.store.database import Database

ACCOUNT_NAME = "default"
SANDBOX_NUMBER = "+15005550006"
EXAMPLE_TO = "+14155552671"


@dataclass(frozen=True, slots=True)
class SandboxCredentials:
    account_id: str
    key_id: str
    secret: str
    number: str


def _load(path: Path) -> SandboxCredentials | None:
    try:
        return SandboxCredentials(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def ensure_sandbox(database: Database, path: Path, *, pepper: str) -> SandboxCredentials:
    """Make sure the sandbox account, test key and number exist; return their credentials."""
    saved = _load(path)

    def ensure(connection: Connection) -> SandboxCredentials:
        account = account_store.find_account(connection, ACCOUNT_NAME)
        if account is None:
            account = account_store.create_account(connection, ACCOUNT_NAME)
        if not any(n.e164 == SANDBOX_NUMBER for n in number_store.list_numbers(connection)):
            number_store.add_number(connection, account.id, SANDBOX_NUMBER, inbound_url=None)
        if saved is not None and saved.account_id == account.id:
            key = account_store.find_key(connection, saved.key_id)
            if (
                key
                and key.revoked_at is None
                and secret_matches(saved.secret, key.secret_hash, pepper)
            ):
                return saved
        key, secret = account_store.create_key(
            connection, account.id, mode="test", name="sandbox", pepper=pepper
        )
        return SandboxCredentials(account.id, key.id, secret, SANDBOX_NUMBER)

    credentials = database.run_sync(ensure, what="preparing the sandbox")
    if credentials != saved:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(asdict(credentials), file, indent=2)
    return credentials


def curl_example(base_url: str, credentials: SandboxCredentials) -> str:
    body = json.dumps({"to": EXAMPLE_TO, "from": credentials.number, "body": "Hello from smsgate!"})
    return (
        f"curl -u {credentials.key_id}:{credentials.secret} {base_url}/v1/messages "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )

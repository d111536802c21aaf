"""The secrets that sign an account's webhooks.

They sign, so they are kept as given (a hash could not sign). A rotated-out secret keeps
signing beside the new one for 24 hours, so receivers can move over without a gap.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from smsgate.store.schema import webhook_secrets

SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)


def new_signing_secret() -> str:
    """`whsec_` and the base64 of 24 random bytes, as Standard Webhooks secrets are written."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signing_secrets(connection: Connection, account_id: str, now: datetime) -> list[str]:
    """The account's signing secrets, newest first, making one if it has none."""
    rows = connection.execute(
        select(webhook_secrets.c.secret, webhook_secrets.c.expires_at)
        .where(webhook_secrets.c.account_id == account_id)
        .order_by(webhook_secrets.c.seq.desc())
    ).all()
    valid = [row.secret for row in rows if row.expires_at is None or row.expires_at > now]
    if valid:
        return valid
    secret = new_signing_secret()
    connection.execute(
        webhook_secrets.insert().values(account_id=account_id, secret=secret, created_at=now)
    )
    return [secret]


def rotate_signing_secret(connection: Connection, account_id: str, now: datetime) -> str:
    """A new secret; the current one keeps signing beside it for 24 hours."""
    connection.execute(
        update(webhook_secrets)
        .where(webhook_secrets.c.account_id == account_id, webhook_secrets.c.expires_at.is_(None))
        .values(expires_at=now + ROTATION_OVERLAP)
    )
    secret = new_signing_secret()
    connection.execute(
        webhook_secrets.insert().values(account_id=account_id, secret=secret, created_at=now)
    )
    return secret

"""Signing webhooks per Standard Webhooks (https://www.standardwebhooks.com).

`webhook-signature` holds one `v1,<base64 HMAC-SHA256>` per active secret, separated by
spaces: during a rotation both the new and the old secret sign, so a receiver that still
has the old one keeps verifying. The `standardwebhooks` package does the signing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from standardwebhooks import Webhook


def signed_headers(
    message_id: str, timestamp: datetime, body: str, secrets: Sequence[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed with each secret."""
    signatures = " ".join(_signer(secret).sign(message_id, timestamp, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }


# A Webhook decodes its secret when made; an account signs with the same one or two.
@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)

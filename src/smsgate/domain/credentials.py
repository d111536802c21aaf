"""API secrets and access tokens: how they are made, hashed at rest, and checked.

Secrets are 256-bit random strings, so a keyed SHA-256 (HMAC) is as safe at rest as a slow
password hash and costs microseconds, which matters on a path that runs per request. The
key is the server's pepper plus a domain label, so a secret hash cannot be replayed as a
token hash. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SECRET_LABEL = b"smsgate/api-secret/v1:"
_TOKEN_LABEL = b"smsgate/access-token/v1:"
TOKEN_PREFIX = "at_"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_access_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str, pepper: str) -> str:
    return hmac.new(_SECRET_LABEL + pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def hash_token(token: str, pepper: str) -> str:
    return hmac.new(_TOKEN_LABEL + pepper.encode(), token.encode(), hashlib.sha256).hexdigest()


def secret_matches(secret: str, stored_hash: str, pepper: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, pepper), stored_hash)

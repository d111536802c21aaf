"""Who is calling: HTTP Basic with an API key, or a Bearer access token.

Each authenticated request is also counted against its account's request limit (see
request_limits), so every endpoint, the fast path's included, is limited in one place.

A verified credential is remembered for `auth.cache_seconds` so the hot path costs one
dict lookup, not a database read; that is also the longest a key revoked by another
process keeps working here. Failures are never cached.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import Connection

from smsgate.api.problems import AuthFailed
from smsgate.api.request_limits import RequestLimiter
from smsgate.cache import TTLCache
from smsgate.domain.credentials import TOKEN_PREFIX, hash_token, secret_matches
from smsgate.domain.ids import AccountId, KeyId
from smsgate.store import accounts as account_store
from smsgate.store.accounts import ApiKey
from smsgate.store.database import Database


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: AccountId
    key_id: KeyId
    is_test: bool


def parse_basic(header: str) -> tuple[str, str]:
    """(key id, secret) from a Basic credential; AuthFailed if it is not one."""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthFailed("The Basic credentials are not valid base64 of 'key_id:secret'.") from None
    key_id, sep, secret = decoded.partition(":")
    if not sep or not key_id or not secret:
        raise AuthFailed("Basic credentials must be 'key_id:secret' (an SK… id and its secret).")
    return key_id, secret


class Authenticator:
    def __init__(
        self,
        database: Database,
        *,
        pepper: str,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        limiter: RequestLimiter | None = None,
    ) -> None:
        self._database = database
        self._limiter = limiter
        self._pepper = pepper
        self._cache_seconds = cache_seconds
        self._cache: TTLCache[str, Principal] = TTLCache(clock=clock)

    async def __call__(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise AuthFailed(
                "This endpoint needs an API key: HTTP Basic with the key id (SK…) as user "
                "and the secret as password, or a Bearer token from /v1/oauth/token."
            )
        principal = await self._cache.get(header, lambda: self._verify(header))
        if self._limiter is not None:
            await self._limiter.check(principal.account_id)
        return principal

    async def verify_key(self, key_id: str, secret: str) -> ApiKey:
        """The live key for these credentials; AuthFailed if unknown, wrong or revoked."""
        key = await self._database.read(lambda c: account_store.find_key(c, key_id))
        # Hash even when the key is unknown, so timing does not tell which ids exist.
        stored = key.secret_hash if key else "0" * 64
        if not secret_matches(secret, stored, self._pepper) or key is None:
            raise AuthFailed("The API key id or secret is wrong.")
        if key.revoked_at is not None:
            raise AuthFailed(f"The API key {key.id} was revoked; create a new one.")
        return key

    async def _verify(self, header: str) -> tuple[Principal, float]:
        scheme = header[:7].lower()
        if scheme.startswith("basic "):
            key = await self.verify_key(*parse_basic(header))
            return Principal(key.account_id, key.id, key.is_test), self._cache_seconds
        if scheme == "bearer ":
            return await self._verify_token(header[7:].strip())
        raise AuthFailed("Use the Basic or Bearer authorization scheme.")

    async def _verify_token(self, token: str) -> tuple[Principal, float]:
        if not token.startswith(TOKEN_PREFIX):
            raise AuthFailed(
                "The bearer token is not one this gateway issued.", bearer_error="invalid_token"
            )
        token_hash = hash_token(token, self._pepper)

        def lookup(connection: Connection) -> tuple[ApiKey, datetime] | None:
            return account_store.find_token(connection, token_hash)

        found = await self._database.read(lookup)
        if found is None:
            raise AuthFailed("The bearer token is unknown.", bearer_error="invalid_token")
        key, expires_at = found
        remaining = (expires_at - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            raise AuthFailed(
                "The bearer token has expired; get a new one from /v1/oauth/token.",
                bearer_error="invalid_token",
            )
        if key.revoked_at is not None:
            raise AuthFailed(
                f"The API key {key.id} behind this token was revoked.", bearer_error="invalid_token"
            )
        return Principal(key.account_id, key.id, key.is_test), min(remaining, self._cache_seconds)

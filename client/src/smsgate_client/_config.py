"""Where the client's credentials and URL come from: arguments, else the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from smsgate_client._errors import AuthenticationError
from smsgate_client._http import USER_AGENT

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    key_id: str
    secret: str
    base_url: str
    default_from: str | None

    def __repr__(self) -> str:
        return f"ClientConfig(key_id={self.key_id!r}, secret='***', base_url={self.base_url!r})"

    @classmethod
    def resolve(
        cls,
        key_id: str | None,
        secret: str | None,
        base_url: str | None,
        default_from: str | None,
        environ: Mapping[str, str] | None,
    ) -> ClientConfig:
        env = os.environ if environ is None else environ
        key_id = key_id or env.get("SMSGATE_KEY_ID")
        secret = secret or env.get("SMSGATE_SECRET")
        if not key_id or not secret:
            raise AuthenticationError(
                "Give key_id and secret (an API key: SK… and its secret), or set "
                "SMSGATE_KEY_ID and SMSGATE_SECRET."
            )
        url = (base_url or env.get("SMSGATE_URL") or DEFAULT_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {url!r} is not an http:// or https:// URL.")
        return cls(key_id, secret, url, default_from or env.get("SMSGATE_FROM") or None)

    def headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept": "application/json"}

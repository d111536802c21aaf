"""Sending one logical request: retries, and translating failures into our errors once.

`SyncTransport` and `AsyncTransport` are the same loop over httpx's two clients; the
resources describe requests as `ApiRequest` values and never touch httpx themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from smsgate_client._errors import (
    APIConnectionError,
    APITimeoutError,
    SmsgateError,
    error_for_status,
)
from smsgate_client._retry import (
    RetryPolicy,
    is_retryable_error,
    is_retryable_status,
    retry_after_seconds,
)

USER_AGENT = "smsgate-client/0.1.0"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One call to the API. `replay_safe`: repeating it cannot act twice (see _retry)."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    replay_safe: bool = True

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        params = {k: v for k, v in (self.params or {}).items() if v is not None}
        return http.build_request(
            self.method,
            self.path,
            params=params or None,
            json=self.json,
            content=self.content,
            headers=dict(self.headers),
        )


def raise_for_answer(response: httpx.Response) -> None:
    """Our most specific error for an answer of 400 or more; nothing for a success."""
    if response.status_code < 400:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"detail": response.text[:200] or response.reason_phrase}
    raise error_for_status(
        response.status_code, problem, retry_after=retry_after_seconds(response.headers)
    )


@contextlib.contextmanager
def translated(base_url: str) -> Iterator[None]:
    """httpx's transport errors as ours, chained."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(f"The gateway at {base_url} did not answer in time: {exc}.") from exc
    except httpx.HTTPError as exc:
        raise APIConnectionError(f"Cannot reach the gateway at {base_url}: {exc}.") from exc


class _Attempts:
    """Bookkeeping shared by both loops: decides after each failure whether to go on."""

    def __init__(self, policy: RetryPolicy, request: ApiRequest) -> None:
        self.policy = policy
        self.request = request
        self.started = time.monotonic()
        self.retry = 0

    def wait_after_error(self, error: httpx.HTTPError) -> float | None:
        if not is_retryable_error(error, replay_safe=self.request.replay_safe):
            return None
        return self._next(None)

    def wait_after_answer(self, response: httpx.Response) -> float | None:
        if not is_retryable_status(response.status_code, replay_safe=self.request.replay_safe):
            return None
        return self._next(retry_after_seconds(response.headers))

    def _next(self, retry_after: float | None) -> float | None:
        self.retry += 1
        return self.policy.delay(self.retry, retry_after, time.monotonic() - self.started)


class SyncTransport:
    def __init__(self, http: httpx.Client, policy: RetryPolicy) -> None:
        self.http = http
        self.policy = policy

    def send(self, request: ApiRequest) -> httpx.Response:
        """The successful answer to `request`; raises an SmsgateError once retries are spent."""
        attempts = _Attempts(self.policy, request)
        base_url = str(self.http.base_url)
        while True:
            try:
                response = self.http.send(request.build(self.http))
            except httpx.HTTPError as exc:
                wait = attempts.wait_after_error(exc)
                if wait is None:
                    with translated(base_url):
                        raise
                time.sleep(wait)
                continue
            wait = attempts.wait_after_answer(response)
            if wait is None:
                raise_for_answer(response)
                return response
            response.close()
            time.sleep(wait)

    def json(self, request: ApiRequest) -> Any:
        response = self.send(request)
        return _decode(response)


class AsyncTransport:
    def __init__(self, http: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self.http = http
        self.policy = policy

    async def send(self, request: ApiRequest) -> httpx.Response:
        """The successful answer to `request`; raises an SmsgateError once retries are spent."""
        attempts = _Attempts(self.policy, request)
        base_url = str(self.http.base_url)
        while True:
            try:
                response = await self.http.send(request.build(self.http))
            except httpx.HTTPError as exc:
                wait = attempts.wait_after_error(exc)
                if wait is None:
                    with translated(base_url):
                        raise
                await asyncio.sleep(wait)
                continue
            wait = attempts.wait_after_answer(response)
            if wait is None:
                raise_for_answer(response)
                return response
            await response.aclose()
            await asyncio.sleep(wait)

    async def json(self, request: ApiRequest) -> Any:
        return _decode(await self.send(request))


def _decode(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise SmsgateError(
            f"The gateway answered {response.status_code} with a body that is not JSON.",
            status=response.status_code,
        ) from exc

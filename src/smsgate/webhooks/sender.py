"""The webhook sender: claims due outbox rows, POSTs them signed, records every attempt.

A new webhook with nothing earlier of its message to wait for needs no claim: the writer
hands it over leased (`store.handoff`, `take`), and it goes out at once. Handed ones the
sender has no slot for (`webhook.max_in_flight` are on their way, or it has stopped) go
back to the outbox unsent (`ReleaseWebhooks`), for a claim when a slot frees.

Success is any 2xx. `410 Gone` disables the endpoint. Anything else (another status, a
timeout, a refused connection) is retried with exponential backoff and jitter, or after
`Retry-After` when the receiver asks for longer, until `webhook.max_age` after the event;
then the delivery is `failed`. Redirects are not followed: a 3xx is a failed attempt.
Before each attempt the URL's host is resolved and refused if any address is not public
(unless `webhook.allow_private`).

The POSTs go out through `webhooks.http`, a lean keep-alive client on httptools, not
httpx as the rest of the project's outbound HTTP does: with three webhooks per message the
sender is the gateway's busiest part (the figures are in that module).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from smsgate.cache import TTLCache
from smsgate.claims import ClaimLoop
from smsgate.config import WebhookSettings
from smsgate.deadlines import Deadlines
from smsgate.delivery.backoff import RetryPolicy
from smsgate.errors import StoreError
from smsgate.store.database import Database
from smsgate.store.signing_secrets import signing_secrets
from smsgate.store.webhooks import (
    ClaimWebhooks,
    DueWebhook,
    RecordWebhookAttempt,
    ReleaseWebhooks,
)
from smsgate.store.writer import Call, GroupCommitWriter
from smsgate.webhooks.http import HttpClient, HttpError
from smsgate.webhooks.signing import signed_headers
from smsgate.webhooks.urls import Refused, public_addresses

log = logging.getLogger(__name__)
EXCERPT = 500
# Claims are spaced at least this far apart, so a burst of commits costs one claim.
CLAIM_SPACING = 0.02
# Requests beyond this many wait for a free connection; per host, so one slow endpoint
# cannot hold every connection.
CONNECTIONS = 64
CONNECTIONS_PER_HOST = 16
# Enough of an answer to log; a longer body is not read, and its connection is dropped.
READ_AT_MOST = 4096
# A rotated secret starts signing within this long in every process.
SECRETS_CACHE_SECONDS = 1.0


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks us to wait (RFC 9110 §10.2.3), if it does."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0) if when.tzinfo else None


class WebhookSender:
    def __init__(
        self,
        writer: GroupCommitWriter,
        database: Database,
        settings: WebhookSettings,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._writer = writer
        self._database = database
        self._settings = settings
        self._policy = RetryPolicy(settings.retry_base, settings.retry_max)
        self._rng = rng or random.Random()
        self._loop: ClaimLoop[DueWebhook] = ClaimLoop(
            max_in_flight=settings.max_in_flight,
            poll_interval=settings.poll_interval,
            spacing=CLAIM_SPACING,
        )
        self.wake = self._loop.wake
        self.stop = self._loop.stop
        self._secrets: TTLCache[str, list[str]] = TTLCache()
        self._releasing: set[asyncio.Task[Any]] = set()
        self._answer_within = Deadlines(settings.timeout)
        self.delivered = 0

    def take(self, handed: list[Any]) -> None:
        """The writer's `on_handoff` listener: deliver the webhooks a batch handed over."""
        refused = self._loop.offer(item for item in handed if isinstance(item, DueWebhook))
        if refused:
            release = ReleaseWebhooks(tuple(due.id for due in refused), datetime.now(UTC))
            task = asyncio.get_running_loop().create_task(self._release(release))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    async def _release(self, release: ReleaseWebhooks) -> None:
        try:
            await self._writer.submit(release)
        except StoreError:
            log.exception(
                "could not give back %d webhooks; they are sent after their lease", len(release.ids)
            )

    async def run(self) -> None:
        settings = self._settings
        lease = timedelta(seconds=settings.lease_seconds)
        client = HttpClient(
            limit=CONNECTIONS,
            limit_per_host=CONNECTIONS_PER_HOST,
            read_at_most=READ_AT_MOST,
            headers={"User-Agent": "smsgate-webhooks/1", "Content-Type": "application/json"},
        )

        async def claim(wanted: int) -> list[DueWebhook]:
            return await self._writer.submit(ClaimWebhooks(datetime.now(UTC), lease, wanted))

        async def deliver(due: DueWebhook) -> None:
            await self._deliver(client, due)

        try:
            await self._loop.run(claim, deliver)
        finally:
            client.close()

    async def _deliver(self, client: HttpClient, due: DueWebhook) -> None:
        try:
            outcome = await self._attempt(client, due)
            await self._writer.submit(outcome)
        except StoreError:
            log.exception("could not record webhook %s; it is retried after its lease", due.id)

    async def _load_secrets(self, due: DueWebhook) -> tuple[list[str], float]:
        # Through the writer: an account without a secret yet gets one made.
        now = datetime.now(UTC)
        found = await self._writer.submit(Call(signing_secrets, due.account_id, now))
        return found, SECRETS_CACHE_SECONDS

    async def _attempt(self, client: HttpClient, due: DueWebhook) -> RecordWebhookAttempt:
        started = time.monotonic()
        now = datetime.now(UTC)

        def outcome(kind: str, **fields: Any) -> RecordWebhookAttempt:
            return RecordWebhookAttempt(
                due.id,
                due.account_id,
                due.url,
                due.attempt,
                datetime.now(UTC),
                kind,  # type: ignore[arg-type]
                latency_ms=int((time.monotonic() - started) * 1000),
                **fields,
            )

        if due.disabled:
            return outcome("disabled", error="The endpoint answered 410 Gone earlier.")
        secrets = await self._secrets.get(due.account_id, lambda: self._load_secrets(due))
        addresses = None  # allowed anywhere: the client resolves the name itself
        if not self._settings.allow_private:
            parts = urlsplit(due.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                addresses = await public_addresses(parts.hostname or "", port)
            except Refused as refusal:
                return outcome("failed", error=f"Refused: {refusal}.")
        headers = signed_headers(due.id, now, due.body, secrets)
        try:
            with self._answer_within.start():
                answer = await client.post(due.url, due.body.encode(), headers, addresses=addresses)
        except TimeoutError:
            return self._retry(
                due, outcome, error=f"No answer within {self._settings.timeout:g} s."
            )
        except HttpError as exc:
            return self._retry(due, outcome, error=str(exc))
        status = answer.status
        excerpt = _excerpt(answer.body, answer.charset)
        wait = retry_after(answer.headers.get("retry-after"), now)
        if 200 <= status < 300:
            self.delivered += 1
            return outcome("delivered", status_code=status, response_excerpt=excerpt)
        if status == 410:
            return outcome(
                "disabled",
                status_code=410,
                response_excerpt=excerpt,
                error="The endpoint answered 410 Gone; it is disabled until its URL is set again.",
            )
        return self._retry(
            due,
            outcome,
            status_code=status,
            response_excerpt=excerpt,
            error=f"The endpoint answered {status}.",
            wait=wait,
        )

    def _retry(
        self, due: DueWebhook, outcome: Any, *, wait: float | None = None, **fields: Any
    ) -> RecordWebhookAttempt:
        delay = max(self._policy.delay(due.attempt, self._rng), wait or 0.0)
        next_at = datetime.now(UTC) + timedelta(seconds=delay)
        if next_at > due.created_at + timedelta(seconds=self._settings.max_age):
            fields["error"] = f"{fields.get('error', '')} Gave up: retried for the maximum age."
            return outcome("failed", **fields)  # type: ignore[no-any-return]
        return outcome("retry", next_attempt_at=next_at, **fields)  # type: ignore[no-any-return]


def _excerpt(content: bytes, charset: str | None) -> str:
    try:
        return content.decode(charset or "utf-8", errors="replace")[:EXCERPT]
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")[:EXCERPT]

"""The dispatcher: claims due messages under a lease, submits them, records what happened.

A ClaimLoop claims as many messages as there are free slots (`max_in_flight`) and starts
one task per message; each task submits through the message's connector and queues its
outcome with the writer.

An attempt whose outcome is unknown (the submit timed out) is left alone: the message
keeps its lease and is claimed again only when the lease expires, so a message is never
submitted twice in one attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from smsgate.claims import ClaimLoop
from smsgate.config import DeliverySettings
from smsgate.delivery.backoff import RetryPolicy
from smsgate.delivery.connector import Connector
from smsgate.errors import DeliveryError, ErrorCode, StoreError
from smsgate.store.queue import ClaimDue, ClaimedMessage, RecordOutcome
from smsgate.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)

# Returns the message's connector, or raises DeliveryError when it has none.
Router = Callable[[ClaimedMessage], Connector]


class Dispatcher:
    def __init__(
        self,
        writer: GroupCommitWriter,
        route: Router,
        settings: DeliverySettings,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._writer = writer
        self._route = route
        self._settings = settings
        self._policy = RetryPolicy(settings.retry_base, settings.retry_max)
        self._rng = rng or random.Random()
        self._loop: ClaimLoop[ClaimedMessage] = ClaimLoop(
            max_in_flight=settings.max_in_flight,
            poll_interval=settings.poll_interval,
            batch=settings.claim_batch,
        )
        self.wake = self._loop.wake
        self.stop = self._loop.stop
        self.submitted = 0

    async def run(self) -> None:
        """Claim and deliver until `stop()`; returns once in-flight submits are done."""
        lease = timedelta(seconds=self._settings.lease_seconds)

        async def claim(wanted: int) -> list[ClaimedMessage]:
            return await self._writer.submit(ClaimDue(datetime.now(UTC), lease, wanted))

        await self._loop.run(claim, self._deliver)

    async def _deliver(self, message: ClaimedMessage) -> None:
        try:
            outcome = await self._attempt(message)
            if outcome is not None:
                await self._writer.submit(outcome)
        except StoreError:
            # The lease stays; the message is claimed again when it expires.
            log.exception("could not record the outcome of %s", message.id)

    async def _attempt(self, message: ClaimedMessage) -> RecordOutcome | None:
        try:
            connector = self._route(message)
            async with asyncio.timeout(self._settings.submit_timeout):
                carrier_ids = await connector.submit(message)
        except TimeoutError:
            log.warning(
                "submit of %s attempt %d timed out; outcome unknown, it is retried when "
                "its lease expires",
                message.id,
                message.attempt,
            )
            return None
        except DeliveryError as error:
            return self._after_failure(message, error)
        self.submitted += 1
        return RecordOutcome(
            message.id,
            message.attempt,
            "sent",
            datetime.now(UTC),
            connector=connector.name,
            carrier_ids=carrier_ids,
        )

    def _after_failure(self, message: ClaimedMessage, error: DeliveryError) -> RecordOutcome:
        now = datetime.now(UTC)
        detail = error.detail
        if error.carrier_code is not None:
            said = f": {error.carrier_text}" if error.carrier_text else ""
            detail += f" (carrier status {error.carrier_code:#x}{said})"
        if error.retryable:
            next_at = now + timedelta(seconds=self._policy.delay(message.attempt, self._rng))
            if next_at < message.expires_at:
                log.info(
                    "attempt %d of %s failed, retrying: %s", message.attempt, message.id, detail
                )
                return RecordOutcome(
                    message.id,
                    message.attempt,
                    "retry",
                    now,
                    next_attempt_at=next_at,
                    error_code=error.code,
                    detail=f"{detail} Next attempt at {next_at.isoformat(timespec='seconds')}.",
                )
            return RecordOutcome(
                message.id,
                message.attempt,
                "failed",
                now,
                error_code=ErrorCode.VALIDITY_EXPIRED,
                detail=f"The validity period ran out while retrying. Last error: {detail}",
            )
        return RecordOutcome(
            message.id, message.attempt, "failed", now, error_code=error.code, detail=detail
        )

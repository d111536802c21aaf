"""The dispatcher: claims due messages under a lease, submits them, records what happened.

A ClaimLoop claims as many messages as there are free slots (`max_in_flight`) and starts
one task per message; each task submits through the message's connector and queues its
outcome with the writer.

Pace: before its connector is chosen, each message waits its turn at its sender's rate
(`mps(sender)` messages a second, FIFO per sender, so one sender's messages go in the
order they were queued). A claim takes at most `sender_horizon` seconds' worth of one
sender's messages; the rest stay in the store until those have gone, so no lease runs out
while a message waits for its sender's turn.

An attempt whose outcome is unknown (the submit timed out) is left alone: the message
keeps its lease and is claimed again only when the lease expires, so a message is never
submitted twice in one attempt.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from smsgate.claims import ClaimLoop
from smsgate.config import DeliverySettings
from smsgate.deadlines import Deadlines
from smsgate.delivery.backoff import RetryPolicy
from smsgate.delivery.connector import Connector
from smsgate.delivery.pacing import SenderPacers
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
        mps: Callable[[str], float] | None = None,
        sender_horizon: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self._writer = writer
        self._route = route
        self._settings = settings
        self._mps = mps
        self._senders = None if mps is None else SenderPacers(mps)
        # Waiting for a sender's turn comes before the submit's budget; both within the lease.
        self._horizon = min(sender_horizon, (settings.lease_seconds - settings.submit_timeout) / 2)
        self._policy = RetryPolicy(settings.retry_base, settings.retry_max)
        self._submitted_within = Deadlines(settings.submit_timeout)
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
            now = datetime.now(UTC)
            if self._senders is None or self._mps is None:
                return await self._writer.submit(ClaimDue(now, lease, wanted))
            backlog = self._senders.backlog()
            room = _SenderRoom(self._mps, self._horizon, backlog)
            full = frozenset(sender for sender in backlog if room(sender) <= 0)
            return await self._writer.submit(
                ClaimDue(now, lease, wanted, sender_room=room, full_senders=full)
            )

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
        if self._senders is not None:
            await self._senders.wait(message.from_)
        try:
            connector = self._route(message)
            with self._submitted_within.start():
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


class _SenderRoom:
    """How many more messages of a sender a claim may take: `horizon` seconds at the
    sender's rate (at least one), less those already waiting. A snapshot: it runs in the
    writer's thread and reads nothing that changes."""

    def __init__(self, mps: Callable[[str], float], horizon: float, backlog: dict[str, int]):
        self._mps = mps
        self._horizon = horizon
        self._backlog = backlog

    def __call__(self, sender: str) -> int:
        return max(1, int(self._horizon * self._mps(sender))) - self._backlog.get(sender, 0)

"""What the dispatcher needs from a carrier link, and what it hands over."""

from __future__ import annotations

from typing import Protocol

from smsgate.store.queue import ClaimedMessage


class Connector(Protocol):
    """A carrier link (an SMPP bind, the simulator).

    `submit` hands one message over and returns the carrier's id for each segment. It
    raises DeliveryError, whose `retryable` tells the dispatcher whether to try again. If
    it neither returns nor raises within the dispatcher's budget, the outcome is unknown:
    the message keeps its lease and is tried again only once the lease expires.
    """

    name: str

    async def submit(self, message: ClaimedMessage) -> tuple[str, ...]: ...

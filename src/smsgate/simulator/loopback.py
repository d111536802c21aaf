"""An in-process carrier: accepts every message at once and keeps it in a handset inbox.

It is the connector test-mode keys use until an SMPP simulator is configured, and a way to
measure the pipeline without a carrier in the way.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime

from smsgate.store.queue import ClaimedMessage

INBOX_SIZE = 100


@dataclass(frozen=True, slots=True)
class ReceivedText:
    carrier_id: str
    sender: str
    body: str
    at: datetime


class LoopbackCarrier:
    def __init__(self, name: str = "loopback") -> None:
        self.name = name
        self._ids = itertools.count(1)
        self.inboxes: defaultdict[str, deque[ReceivedText]] = defaultdict(
            lambda: deque(maxlen=INBOX_SIZE)
        )

    async def submit(self, message: ClaimedMessage) -> tuple[str, ...]:
        carrier_id = f"{next(self._ids):010d}"
        self.inboxes[message.to].append(
            ReceivedText(carrier_id, message.from_, message.body, datetime.now(UTC))
        )
        return (carrier_id,)

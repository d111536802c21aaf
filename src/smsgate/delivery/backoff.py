"""How long to wait before the next attempt: exponential, capped, jittered."""

from __future__ import annotations

import random
from dataclasses import dataclass

_shared_rng = random.Random()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 2.0
    cap: float = 600.0

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise ValueError(
                f"RetryPolicy needs 0 < base <= cap, got base={self.base}, cap={self.cap}"
            )

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Equal jitter: half the exponential step is fixed, half is random, so retries of a
        burst spread out but none comes back sooner than half the step.
        """
        step = min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))
        return step / 2 + (rng or _shared_rng).uniform(0, step / 2)

"""Which connector a message leaves through.

Test-mode keys never reach a carrier: their messages go to the simulator. Live messages
go to the configured carrier link. With no connector for a message, the attempt fails as
retryable, so the message waits (within its validity period) for one to be configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.delivery.connector import Connector
from smsgate.errors import DeliveryError, ErrorCode
from smsgate.store.queue import ClaimedMessage


@dataclass
class Routes:
    sandbox: Connector | None = None
    live: Connector | None = None

    def route(self, message: ClaimedMessage) -> Connector:
        """The connector for `message`; DeliveryError (retryable) if there is none."""
        if message.is_test:
            if self.sandbox is None:
                raise DeliveryError(
                    "Test-mode messages go to the simulator, which is off on this gateway "
                    "(SMSGATE_SIMULATOR_ENABLED=0).",
                    retryable=True,
                    code=ErrorCode.UNREACHABLE,
                )
            return self.sandbox
        if self.live is None:
            raise DeliveryError(
                "No carrier connector is configured for live messages; set SMSGATE_SMPP_HOST "
                "(and the bind's credentials), or send with a test-mode key.",
                retryable=True,
                code=ErrorCode.UNREACHABLE,
            )
        return self.live

"""What the HTTP layer is handed by `app.py`: the store, the writer, auth and policies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smsgate.api.auth import Authenticator
from smsgate.config import Settings
from smsgate.delivery.switchboard import Switchboard
from smsgate.domain.pricing import PriceTable
from smsgate.simulator.smsc import Simulator
from smsgate.store.database import Database
from smsgate.store.writer import GroupCommitWriter


@dataclass(frozen=True, slots=True)
class ApiServices:
    settings: Settings
    database: Database
    writer: GroupCommitWriter
    auth: Authenticator
    prices: PriceTable
    on_accepted: Callable[[], None]
    simulator: Simulator | None = None
    switchboard: Switchboard | None = None

"""A connector as an operator declares it: a carrier's SMPP bind, or a simulator's.

`kind` says what is on the other end. Test-mode messages only ever leave through a
`simulator` connector; an `smpp` connector is a real carrier. Checked on construction:
ValidationError (or InvalidParameterError) names the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from smsgate.domain.routing import check_fields, check_name
from smsgate.errors import InvalidParameterError

ConnectorKind = Literal["smpp", "simulator"]
BindMode = Literal["transceiver", "transmitter_receiver"]

# The connectors every gateway has without declaring them: the built-in simulator that
# test-mode keys send to, and the carrier bind of the `[smpp]` settings.
SIMULATOR: Final = "simulator"
CARRIER: Final = "carrier"
BUILT_IN: Final = frozenset({SIMULATOR, CARRIER})


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    name: str
    host: str
    port: int
    system_id: str
    password: str = field(repr=False)
    kind: ConnectorKind = "smpp"
    system_type: str = ""
    bind_mode: BindMode = "transceiver"
    window: int = 64
    tps: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        def bad(name: str, detail: str) -> InvalidParameterError:
            return InvalidParameterError(detail, field=name)

        check_name(self.name, what="connector")
        if self.name in BUILT_IN:
            raise bad(
                "name",
                f"The connector name {self.name!r} is taken by a built-in connector; pick "
                "another name.",
            )
        if self.kind not in ("smpp", "simulator"):
            raise bad("kind", f"kind {self.kind!r} is not valid; use 'smpp' or 'simulator'.")
        if not isinstance(self.host, str) or not self.host or len(self.host) > 255:
            raise bad("host", "host is empty or too long; give the SMSC's host name or address.")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise bad("port", f"port {self.port!r} is not a whole number.")
        if not 0 < self.port < 65536:
            raise bad("port", f"port {self.port} is out of range; use 1 to 65535.")
        for name, value, limit in (
            ("system_id", self.system_id, 15),
            ("password", self.password, 8),
            ("system_type", self.system_type, 12),
        ):
            if not isinstance(value, str) or not value.isascii() or len(value) > limit:
                raise bad(
                    name,
                    f"{name} must be ASCII text of at most {limit} characters (SMPP 3.4 §4.1).",
                )
        if not self.system_id:
            raise bad("system_id", "system_id is empty; give the one your carrier issued.")
        if self.bind_mode not in ("transceiver", "transmitter_receiver"):
            raise bad(
                "bind_mode",
                f"bind_mode {self.bind_mode!r} is not valid; use 'transceiver' or "
                "'transmitter_receiver'.",
            )
        if isinstance(self.window, bool) or not isinstance(self.window, int):
            raise bad("window", f"window {self.window!r} is not a whole number.")
        if not 1 <= self.window <= 10_000:
            raise bad("window", f"window {self.window} is out of range; use 1 to 10000.")
        if self.tps is not None and (
            isinstance(self.tps, bool)
            or not isinstance(self.tps, int | float)
            or not 0 < self.tps <= 100_000
        ):
            raise bad("tps", f"tps {self.tps!r} is not valid; use a number above 0, or null.")
        if not isinstance(self.enabled, bool):
            raise bad("enabled", f"enabled {self.enabled!r} is not true or false.")


CONNECTOR_FIELDS: Final = (
    "name",
    "kind",
    "host",
    "port",
    "system_id",
    "password",
    "system_type",
    "bind_mode",
    "window",
    "tps",
    "enabled",
)
_REQUIRED: Final = ("name", "host", "port", "system_id", "password")


def connector_from_mapping(data: Mapping[str, Any]) -> ConnectorSpec:
    """A ConnectorSpec from a JSON object or TOML table; ValidationError names the field."""
    check_fields(data, CONNECTOR_FIELDS, _REQUIRED, what="connector")
    values = {key: value for key, value in data.items() if value is not None or key == "tps"}
    if isinstance(values.get("tps"), int) and not isinstance(values.get("tps"), bool):
        values["tps"] = float(values["tps"])
    return ConnectorSpec(**values)

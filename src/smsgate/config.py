"""One typed `Settings`, loaded once: `SMSGATE_*` environment over a TOML file over defaults.

One name from end to end: `SMSGATE_HTTP_PORT` ↔ `[http] port` ↔ `settings.http.port`.
The loader takes the environment as an argument, so tests pass a dict instead of patching
`os.environ`, and nothing reads the environment after start-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from smsgate.domain.receipt_ids import IdFormat
from smsgate.errors import ConfigError

ENV_PREFIX = "SMSGATE_"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class DatabaseSettings(_Section):
    url: str = "sqlite:///./smsgate.db"
    # Group commit: how many waiting writes one transaction may take at most.
    max_batch: int = Field(256, ge=1, le=10_000)
    # Where the writer's transactions run: a thread of the gateway's process, or a
    # process of their own (a second core for the gateway; see store.writer_process).
    # "auto": a process for a SQLite file, a thread for PostgreSQL (whose server already
    # works in processes of its own) and for an in-memory SQLite database.
    writer: Literal["auto", "thread", "process"] = "auto"

    @property
    def writes_in_a_process(self) -> bool:
        if self.writer == "auto":
            return self.url.startswith("sqlite:///") and ":memory:" not in self.url
        return self.writer == "process"


class AuthSettings(_Section):
    # Mixed into every API-secret hash, so a stolen database alone cannot test guesses.
    pepper: SecretStr = SecretStr("")
    token_ttl: int = Field(3600, ge=60, le=86_400, description="Bearer token lifetime, seconds")
    # How long a verified credential is trusted without a database read; bounds how long a
    # revoked key keeps working in a process that did not revoke it.
    cache_seconds: float = Field(1.0, ge=0, le=60)


class MessagesSettings(_Section):
    smart_encoding: bool = True
    default_validity_period: int = Field(36_000, ge=1, le=36_000)
    # A TOML price table (see smsgate/data/prices.toml); empty means the built-in one.
    price_file: str = ""
    # What a STOP keyword opts the handset out of: the number it texted, or every number
    # of the account.
    opt_out_scope: Literal["number", "account"] = "number"

    # How far ahead `send_at` must be, and may be (seconds): 5 minutes to 35 days.
    schedule_min_lead: float = Field(300.0, ge=0)
    schedule_max_lead: float = Field(35 * 86_400.0, gt=0)

    @model_validator(mode="after")
    def _schedule_window_is_open(self) -> MessagesSettings:
        if self.schedule_min_lead >= self.schedule_max_lead:
            raise ValueError(
                f"schedule_min_lead ({self.schedule_min_lead}) must be shorter than "
                f"schedule_max_lead ({self.schedule_max_lead})"
            )
        return self


class InboundSettings(_Section):
    """Messages from handsets."""

    # Seconds to wait for the missing parts of a concatenated message; then what arrived
    # is delivered, flagged `partial`.
    reassembly_timeout: float = Field(300.0, gt=0, le=86_400)


class ContentSettings(_Section):
    """Checks of message text before sending (smsgate.domain.content)."""

    # "warn": findings come back as `warnings`; "reject": they are 400 errors (30007).
    policy: Literal["warn", "reject"] = "warn"


class LimitsSettings(_Section):
    """What one account may ask of the API (see smsgate.api.request_limits)."""

    # Requests a second, sustained (measured over `api_window` seconds); 0: no limit.
    api_rate: int = Field(100, ge=0)
    # The most requests in any one second, so a client may burst above `api_rate` briefly.
    api_burst: int = Field(200, ge=1)
    api_window: int = Field(10, ge=1, le=3600)
    strategy: Literal["moving-window", "fixed-window", "sliding-window-counter"] = "moving-window"
    # Messages an account may have waiting (queued or being sent); 0: no cap.
    queue_cap: int = Field(100_000, ge=0)

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> LimitsSettings:
        if self.api_rate and self.api_burst < self.api_rate:
            raise ValueError(
                f"api_burst ({self.api_burst}) must be at least api_rate ({self.api_rate})"
            )
        return self


class RedisSettings(_Section):
    """Shared state for several gateway processes; empty: each process keeps its own."""

    # redis://[:password@]host:port/db (SMSGATE_REDIS_URL); wrapped: it may hold a password.
    url: SecretStr = SecretStr("")


class DeliverySettings(_Section):
    enabled: bool = True
    lease_seconds: float = Field(60.0, gt=0)
    claim_batch: int = Field(100, ge=1, le=10_000)
    max_in_flight: int = Field(256, ge=1)
    poll_interval: float = Field(1.0, gt=0, le=60)
    retry_base: float = Field(2.0, gt=0)
    retry_max: float = Field(600.0, gt=0)
    # Budget for one submit to a connector. Past it the outcome is unknown: the message
    # keeps its lease and is tried again only when the lease expires.
    submit_timeout: float = Field(30.0, gt=0)
    # How often each node rereads connectors and routes from the store, seconds.
    connectors_refresh: float = Field(5.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _lease_outlives_a_submit(self) -> DeliverySettings:
        # A lease that expired while its submit was still running would let a second
        # worker submit the same message: at most one submit per attempt needs this.
        if self.lease_seconds <= self.submit_timeout:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must be longer than submit_timeout "
                f"({self.submit_timeout})"
            )
        if self.retry_base > self.retry_max:
            raise ValueError(
                f"retry_base ({self.retry_base}) must not exceed retry_max ({self.retry_max})"
            )
        return self


class SmppSettings(_Section):
    """The live carrier link. With no host, live messages wait (and retry) for one."""

    host: str = ""
    port: int = Field(2775, ge=1, le=65535)
    system_id: str = Field("", max_length=15)
    password: SecretStr = SecretStr("")
    system_type: str = Field("", max_length=12)
    bind_mode: Literal["transceiver", "transmitter_receiver"] = "transceiver"
    window: int = Field(64, ge=1, le=10_000)
    tps: float | None = Field(None, gt=0)
    concatenation: Literal["udh", "sar"] = "udh"
    source_ton: int = Field(1, ge=0, le=255)
    source_npi: int = Field(1, ge=0, le=255)
    dest_ton: int = Field(1, ge=0, le=255)
    dest_npi: int = Field(1, ge=0, le=255)
    # How the carrier's receipts write the submit_sm_resp message id (see
    # smsgate.domain.receipt_ids): "exact", "auto", "receipt_decimal" or "receipt_hex".
    receipt_id_format: IdFormat = "auto"


class SimulatorSettings(_Section):
    """The built-in SMSC that test-mode keys send to, over real SMPP on loopback."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535, description="0: any free port")
    system_id: str = Field("smsgate", max_length=15)
    password: SecretStr = SecretStr("secret")
    receipt_delay: float = Field(0.5, ge=0, le=3600)
    window: int = Field(64, ge=1, le=10_000)


class PacingSettings(_Section):
    """Messages per second per sender, by sender type, and the SMSC pushback brake."""

    long_code_mps: float = Field(1.0, gt=0)
    toll_free_mps: float = Field(3.0, gt=0)
    short_code_mps: float = Field(100.0, gt=0)
    alphanumeric_mps: float = Field(10.0, gt=0)
    # A node claims at most this many seconds of one sender's messages ahead of sending
    # them (the rest wait in the store, in order). Capped below the lease.
    sender_horizon: float = Field(10.0, gt=0)
    # After ESME_RTHROTTLED / ESME_RMSGQFUL halves a connector's rate and window, the share
    # of the full rate it regains each second.
    throttle_recovery: float = Field(0.1, gt=0, le=1)


class WebhookSettings(_Section):
    # Allow webhook URLs on loopback, private, link-local and metadata addresses.
    allow_private: bool = False
    enabled: bool = True
    timeout: float = Field(10.0, gt=0, le=60, description="per attempt, seconds")
    # Retry for this long after the event, then give up (failed).
    max_age: float = Field(86_400.0, gt=0)
    retry_base: float = Field(5.0, gt=0)
    retry_max: float = Field(3600.0, gt=0)
    # Deliveries in progress at once; each holds a slot while its POST and its record are
    # in flight, so this bounds webhook throughput at about max_in_flight / latency.
    max_in_flight: int = Field(1024, ge=1, le=10_000)
    poll_interval: float = Field(1.0, gt=0, le=60)
    lease_seconds: float = Field(60.0, gt=0)
    # Finished deliveries (and their attempts) are deleted this many days after their
    # event; 0 keeps them for ever. At most a century: further back than that, the cut-off
    # date would not be a date Python can hold.
    retention_days: int = Field(30, ge=0, le=36_500)

    @model_validator(mode="after")
    def _lease_outlives_an_attempt(self) -> WebhookSettings:
        if self.lease_seconds <= self.timeout:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must be longer than timeout ({self.timeout})"
            )
        return self


class Settings(_Section):
    http: HttpSettings = HttpSettings()
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    messages: MessagesSettings = MessagesSettings()
    inbound: InboundSettings = InboundSettings()
    content: ContentSettings = ContentSettings()
    limits: LimitsSettings = LimitsSettings()
    redis: RedisSettings = RedisSettings()
    delivery: DeliverySettings = DeliverySettings()
    smpp: SmppSettings = SmppSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    webhook: WebhookSettings = WebhookSettings()
    pacing: PacingSettings = PacingSettings()
    # `[[connectors]]` and `[[routes]]` tables: declarations that `smsgate config apply`
    # writes to the store (checked there, entry by entry). `serve` does not read them.
    # Kept out of repr: connector entries carry bind passwords.
    connectors: tuple[dict[str, Any], ...] = Field((), repr=False)
    routes: tuple[dict[str, Any], ...] = ()


_SECTIONS: dict[str, type[_Section]] = {
    name: field.annotation
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, _Section)
}


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("_")
        if section in _SECTIONS and key in _SECTIONS[section].model_fields:
            overrides.setdefault(section, {})[key] = value
    return overrides


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file '{path}' does not exist; give the path of a TOML file "
            "(set SMSGATE_CONFIG to it)."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file '{path}' is not valid TOML: {exc}.") from exc


def load_settings(environ: Mapping[str, str], config_file: Path | None = None) -> Settings:
    """Build the settings from defaults, then the TOML file, then `SMSGATE_*` variables.

    The file is `config_file`, else `SMSGATE_CONFIG` if set. Raises ConfigError with a
    sentence naming the bad setting, its value and what would be valid.
    """
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    data: dict[str, Any] = _read_toml(config_file) if config_file else {}
    for section, values in _env_overrides(environ).items():
        existing = data.get(section)
        data[section] = {**(existing if isinstance(existing, dict) else {}), **values}
    try:
        return Settings.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: pydantic.ValidationError) -> str:
    sentences = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        env = ENV_PREFIX + where.replace(".", "_").upper()
        message = error["msg"].removeprefix("Value error, ").rstrip(".")
        if error["type"] == "extra_forbidden":
            sentences.append(f"Setting '{where}' is unknown; remove it or check the spelling.")
        elif isinstance(error.get("input"), dict):
            sentences.append(f"Settings in [{where}] do not fit together: {message}.")
        else:
            sentences.append(
                f"Setting '{where}' ({env}) has value {error.get('input')!r}: {message}."
            )
    return " ".join(sentences)

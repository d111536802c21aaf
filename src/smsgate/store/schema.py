"""The tables. Alembic migrations in `migrations/` create and evolve them; this module is
what the code queries against, and a test checks the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from smsgate.domain.times import utc_isoformat


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out.

    PostgreSQL keeps them as `timestamptz`. SQLite has no time type, and its driver's
    datetime adapter is the costliest step of an insert, so there they are fixed-width
    ISO 8601 text (`2026-11-29T10:27:03.413000+00:00`), which sorts and compares in time
    order and is read back by `datetime.fromisoformat` at C speed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc_isoformat(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT.
Serial = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(34), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Where status webhooks go for messages sent without their own status_callback.
    Column("status_callback", Text),
    # Millionths of the price table's currency left to spend; NULL: unlimited.
    Column("balance_micros", BigInteger),
    # Operators manage what is shared by every account: connectors and routes.
    Column("is_operator", Boolean, nullable=False, server_default=false()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(34), primary_key=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False, server_default=""),
    Column("secret_hash", String(64), nullable=False),
    Column("mode", String(4), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(34), ForeignKey("api_keys.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

numbers = Table(
    "numbers",
    metadata,
    Column("id", String(34), primary_key=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("e164", String(16), nullable=False, unique=True),
    Column("inbound_url", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # long_code, toll_free, short_code or alphanumeric (smsgate.domain.numbers.NumberType).
    Column("type", String(16), nullable=False, server_default="long_code"),
    # Messages per second; NULL means the type's default (domain.numbers.default_mps).
    Column("mps", Integer),
    # Status webhooks of messages sent from this number without their own status_callback.
    Column("status_callback", Text),
    Column("marketing", Boolean, nullable=False, server_default=false()),
    # Keyword replies; NULL means the default text (domain.keywords.DEFAULT_REPLIES).
    Column("stop_reply", Text),
    Column("start_reply", Text),
    Column("help_reply", Text),
)

messages = Table(
    "messages",
    metadata,
    # seq orders messages for cursor pagination and the dispatcher; id is what users see.
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", String(34), nullable=False, unique=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("to_number", String(16), nullable=False),
    Column("from_sender", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("price", String(24), nullable=False),
    Column("price_unit", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    Column("is_test", Boolean, nullable=False),
    Column("status_callback", Text),
    Column("validity_period", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("connector", String(64)),
    Column("carrier_ids", Text),
    Column("error_code", Integer),
    Column("error_message", Text),
    Column("idempotency_key", String(255)),
    Column("request_hash", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Inbound only: the keyword the text was (stop, start, help), and whether some of its
    # parts never arrived (delivered as what came, after the reassembly timeout).
    Column("keyword", String(8)),
    Column("partial", Boolean, nullable=False, server_default=false()),
    # What the message costs in millionths (zero once refunded), and whether that was
    # taken from the account's balance (so a refund knows to give it back).
    Column("charge_micros", BigInteger, nullable=False, server_default="0"),
    # When a scheduled message was asked to go (it waits in next_attempt_at until then).
    Column("send_at", UTCDateTime),
    Column("debited", Boolean, nullable=False, server_default=false()),
    Index("ix_messages_account_seq", "account_id", "seq"),
    Index("ix_messages_due", "status", "next_attempt_at"),
    Index("uq_messages_idempotency", "account_id", "idempotency_key", unique=True),
)

# One row per segment handed to a carrier, so a receipt (which names the carrier's id of
# one segment) finds its message.
message_parts = Table(
    "message_parts",
    metadata,
    Column("message_id", String(34), ForeignKey("messages.id"), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("connector", String(64), nullable=False),
    Column("carrier_id", String(64), nullable=False),
    Column("stat", String(8)),
    Column("err", String(8)),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("uq_message_parts_carrier", "connector", "carrier_id", unique=True),
)

message_events = Table(
    "message_events",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("message_id", String(34), ForeignKey("messages.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("error_code", Integer),
    Column("detail", Text),
)

# Signing secrets for an account's webhooks. They sign, so they are kept as given (a hash
# could not sign); a rotated-out secret keeps signing beside the new one until expires_at.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("secret", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
)

# The outbox: one row per event to deliver, written in the transaction of the change.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", String(34), nullable=False, unique=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False),
    Column("message_id", String(34), ForeignKey("messages.id"), nullable=False, index=True),
    Column("event_type", String(32), nullable=False),
    Column("event", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The body as it is POSTed, rendered when the event is queued: the message as it stood
    # at that event, and no read of the message when it is sent. Null on rows queued before
    # revision 0008, which are rendered when they are claimed.
    Column("payload", Text),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    Index("ix_webhook_deliveries_account_seq", "account_id", "seq"),
)

# Every attempt at a delivery: what the receiver answered and how fast.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column(
        "delivery_id", String(34), ForeignKey("webhook_deliveries.id"), nullable=False, index=True
    ),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("response_excerpt", Text),
    Column("error", Text),
)

# Endpoints that answered 410 Gone: nothing more is sent there until the URL is set again.
disabled_webhook_urls = Table(
    "disabled_webhook_urls",
    metadata,
    Column("account_id", String(34), ForeignKey("accounts.id"), primary_key=True),
    Column("url", String(2048), primary_key=True),
    Column("disabled_at", UTCDateTime, nullable=False),
)

# Receipts that came before the submit_sm_resp of their segment was recorded (real SMSCs
# send them that early), kept until the segment is recorded or they are too old. One row
# per id the segment may have been recorded under (`candidate`, most likely at rank 0);
# the rows of one receipt share `receipt`.
early_receipts = Table(
    "early_receipts",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("receipt", String(32), nullable=False, index=True),
    Column("connector", String(64), nullable=False),
    Column("candidate", String(64), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("carrier_id", String(64), nullable=False),
    Column("stat", String(8), nullable=False),
    Column("err", String(8)),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Index("ix_early_receipts_candidate", "connector", "candidate"),
)

# Parts of concatenated inbound messages, kept until the last one arrives (or the
# reassembly timeout passes), so a restart between parts loses nothing. One row per part;
# a repeated part (a carrier's retry) is recognised and ignored.
inbound_parts = Table(
    "inbound_parts",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("connector", String(64), nullable=False),
    Column("sender", String(21), nullable=False),
    Column("recipient", String(21), nullable=False),
    Column("reference", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("seqnum", Integer, nullable=False),
    Column("data_coding", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    # Set when its message was delivered: the row stays (payload emptied) until the
    # reassembly timeout has passed, so a part the carrier sends again is known.
    Column("delivered_at", UTCDateTime),
    Index(
        "uq_inbound_parts_part",
        "connector",
        "sender",
        "recipient",
        "reference",
        "total",
        "seqnum",
        unique=True,
    ),
)

# Who asked not to be texted. `number` is the account's number they opted out of, or ""
# for the whole account (an empty string, not NULL, so the unique index holds for it).
opt_outs = Table(
    "opt_outs",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False),
    Column("phone", String(16), nullable=False),
    Column("number", String(16), nullable=False),
    Column("source", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("uq_opt_outs_entry", "account_id", "phone", "number", unique=True),
)

# The audit trail of opt-outs: every opt-out and opt-in, who caused it and when.
opt_out_events = Table(
    "opt_out_events",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("account_id", String(34), ForeignKey("accounts.id"), nullable=False),
    Column("phone", String(16), nullable=False),
    Column("number", String(16), nullable=False),
    Column("action", String(8), nullable=False),
    Column("source", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_opt_out_events_account_seq", "account_id", "seq"),
)

# Carrier links an operator declared (API, CLI or `smsgate config apply`). The password
# is kept as given, not hashed: the gateway must send it in its bind_transmitter/receiver/
# transceiver. It is never shown back.
connectors = Table(
    "connectors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("system_id", String(64), nullable=False),
    Column("password", String(64), nullable=False),
    Column("system_type", String(64), nullable=False),
    Column("bind_mode", String(24), nullable=False),
    Column("window", Integer, nullable=False),
    Column("tps", Float),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Which connectors a message may leave through. The lowest `priority` that matches wins;
# `connectors` is a JSON list of connector names, tried in order (failover).
routes = Table(
    "routes",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("mode", String(4), nullable=False),
    Column("prefix", String(16)),
    Column("country", String(2)),
    Column("account_id", String(34)),
    Column("sender_type", String(16)),
    Column("connectors", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

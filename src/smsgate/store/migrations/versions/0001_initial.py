"""Accounts, API keys, access tokens, numbers, messages and their events.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import Serial, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(34), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(34)),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(4), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_api_keys_account_id_accounts"
        ),
    )
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(64)),
        sa.Column("key_id", sa.String(34), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_access_tokens"),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name="fk_access_tokens_key_id_api_keys"
        ),
    )
    op.create_index("ix_access_tokens_key_id", "access_tokens", ["key_id"])
    op.create_table(
        "numbers",
        sa.Column("id", sa.String(34)),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("e164", sa.String(16), nullable=False),
        sa.Column("inbound_url", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_numbers"),
        sa.UniqueConstraint("e164", name="uq_numbers_e164"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_numbers_account_id_accounts"
        ),
    )
    op.create_index("ix_numbers_account_id", "numbers", ["account_id"])
    op.create_table(
        "messages",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("id", sa.String(34), nullable=False),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("to_number", sa.String(16), nullable=False),
        sa.Column("from_sender", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("price", sa.String(24), nullable=False),
        sa.Column("price_unit", sa.String(3), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("is_test", sa.Boolean, nullable=False),
        sa.Column("status_callback", sa.Text),
        sa.Column("validity_period", sa.Integer, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("connector", sa.String(64)),
        sa.Column("carrier_ids", sa.Text),
        sa.Column("error_code", sa.Integer),
        sa.Column("error_message", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("request_hash", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_messages"),
        sa.UniqueConstraint("id", name="uq_messages_id"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_messages_account_id_accounts"
        ),
    )
    op.create_index("ix_messages_account_seq", "messages", ["account_id", "seq"])
    op.create_index("ix_messages_due", "messages", ["status", "next_attempt_at"])
    op.create_index(
        "uq_messages_idempotency", "messages", ["account_id", "idempotency_key"], unique=True
    )
    op.create_table(
        "message_events",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("message_id", sa.String(34), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_code", sa.Integer),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("seq", name="pk_message_events"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_events_message_id_messages"
        ),
    )
    op.create_index("ix_message_events_message_id", "message_events", ["message_id"])


def downgrade() -> None:
    for table in ("message_events", "messages", "numbers", "access_tokens", "api_keys", "accounts"):
        op.drop_table(table)

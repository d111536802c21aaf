"""Webhooks: account default URL, signing secrets, the delivery outbox and its attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import Serial, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("status_callback", sa.Text))
    op.create_table(
        "webhook_secrets",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.PrimaryKeyConstraint("seq", name="pk_webhook_secrets"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_webhook_secrets_account_id_accounts"
        ),
    )
    op.create_index("ix_webhook_secrets_account_id", "webhook_secrets", ["account_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("id", sa.String(34), nullable=False),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("message_id", sa.String(34), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("id", name="uq_webhook_deliveries_id"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_webhook_deliveries_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_webhook_deliveries_message_id_messages"
        ),
    )
    op.create_index("ix_webhook_deliveries_message_id", "webhook_deliveries", ["message_id"])
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "ix_webhook_deliveries_account_seq", "webhook_deliveries", ["account_id", "seq"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("delivery_id", sa.String(34), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("response_excerpt", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("seq", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name="fk_webhook_attempts_delivery_id_webhook_deliveries",
        ),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])
    op.create_table(
        "disabled_webhook_urls",
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("disabled_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "url", name="pk_disabled_webhook_urls"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_disabled_webhook_urls_account_id_accounts"
        ),
    )


def downgrade() -> None:
    for table in (
        "disabled_webhook_urls",
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_secrets",
    ):
        op.drop_table(table)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("status_callback")

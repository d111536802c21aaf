"""Connectors and routes in the store; operator accounts.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("is_operator", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "connectors",
        sa.Column("name", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("password", sa.String(64), nullable=False),
        sa.Column("system_type", sa.String(64), nullable=False),
        sa.Column("bind_mode", sa.String(24), nullable=False),
        sa.Column("window", sa.Integer, nullable=False),
        sa.Column("tps", sa.Float),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_connectors"),
    )
    op.create_table(
        "routes",
        sa.Column("name", sa.String(64)),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(4), nullable=False),
        sa.Column("prefix", sa.String(16)),
        sa.Column("country", sa.String(2)),
        sa.Column("account_id", sa.String(34)),
        sa.Column("sender_type", sa.String(16)),
        sa.Column("connectors", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_routes"),
    )


def downgrade() -> None:
    op.drop_table("routes")
    op.drop_table("connectors")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("is_operator")

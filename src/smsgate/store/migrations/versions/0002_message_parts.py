"""Message parts: each segment's carrier id, so receipts find their message.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_parts",
        sa.Column("message_id", sa.String(34), nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("carrier_id", sa.String(64), nullable=False),
        sa.Column("stat", sa.String(8)),
        sa.Column("err", sa.String(8)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("message_id", "part", name="pk_message_parts"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_parts_message_id_messages"
        ),
    )
    op.create_index(
        "uq_message_parts_carrier", "message_parts", ["connector", "carrier_id"], unique=True
    )


def downgrade() -> None:
    op.drop_table("message_parts")

"""Early receipts: receipts kept until the submit_sm_resp of their segment is recorded.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import Serial, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_receipts",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("receipt", sa.String(32), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("candidate", sa.String(64), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("carrier_id", sa.String(64), nullable=False),
        sa.Column("stat", sa.String(8), nullable=False),
        sa.Column("err", sa.String(8)),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_early_receipts"),
    )
    op.create_index("ix_early_receipts_receipt", "early_receipts", ["receipt"])
    op.create_index("ix_early_receipts_received_at", "early_receipts", ["received_at"])
    op.create_index("ix_early_receipts_candidate", "early_receipts", ["connector", "candidate"])


def downgrade() -> None:
    op.drop_table("early_receipts")

"""Two-way messaging: number types and keyword replies, inbound parts, opt-outs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import Serial, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("numbers") as numbers:
        numbers.add_column(
            sa.Column("type", sa.String(16), nullable=False, server_default="long_code")
        )
        numbers.add_column(sa.Column("mps", sa.Integer))
        numbers.add_column(sa.Column("status_callback", sa.Text))
        numbers.add_column(
            sa.Column("marketing", sa.Boolean, nullable=False, server_default=sa.false())
        )
        numbers.add_column(sa.Column("stop_reply", sa.Text))
        numbers.add_column(sa.Column("start_reply", sa.Text))
        numbers.add_column(sa.Column("help_reply", sa.Text))
    with op.batch_alter_table("messages") as messages:
        messages.add_column(sa.Column("keyword", sa.String(8)))
        messages.add_column(
            sa.Column("partial", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "inbound_parts",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(21), nullable=False),
        sa.Column("recipient", sa.String(21), nullable=False),
        sa.Column("reference", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("seqnum", sa.Integer, nullable=False),
        sa.Column("data_coding", sa.Integer, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime),
        sa.PrimaryKeyConstraint("seq", name="pk_inbound_parts"),
    )
    op.create_index("ix_inbound_parts_received_at", "inbound_parts", ["received_at"])
    op.create_index(
        "uq_inbound_parts_part",
        "inbound_parts",
        ["connector", "sender", "recipient", "reference", "total", "seqnum"],
        unique=True,
    )
    op.create_table(
        "opt_outs",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_opt_outs"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_opt_outs_account_id_accounts"
        ),
    )
    op.create_index("uq_opt_outs_entry", "opt_outs", ["account_id", "phone", "number"], unique=True)
    op.create_table(
        "opt_out_events",
        sa.Column("seq", Serial, autoincrement=True),
        sa.Column("account_id", sa.String(34), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_opt_out_events"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_opt_out_events_account_id_accounts"
        ),
    )
    op.create_index("ix_opt_out_events_account_seq", "opt_out_events", ["account_id", "seq"])


def downgrade() -> None:
    op.drop_table("opt_out_events")
    op.drop_table("opt_outs")
    op.drop_table("inbound_parts")
    with op.batch_alter_table("messages") as messages:
        messages.drop_column("partial")
        messages.drop_column("keyword")
    with op.batch_alter_table("numbers") as numbers:
        for column in (
            "help_reply",
            "start_reply",
            "stop_reply",
            "marketing",
            "status_callback",
            "mps",
            "type",
        ):
            numbers.drop_column(column)

"""Balances and charges: what an account may spend, and what each message cost it.

`accounts.balance_micros` is the balance in millionths of the price table's currency (NULL:
unlimited). `messages.charge_micros` is what the message costs (zero once refunded) and
`messages.debited` whether that was taken from a balance. A scheduled message keeps the
`send_at` it was given; it waits in `next_attempt_at`, as a retry does.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from smsgate.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("balance_micros", sa.BigInteger))
    op.add_column(
        "messages",
        sa.Column("charge_micros", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.add_column("messages", sa.Column("send_at", UTCDateTime))
    op.add_column(
        "messages",
        sa.Column("debited", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    # Messages sent before this revision cost their recorded price; usage reports count it.
    if op.get_bind().dialect.name == "postgresql":
        charge = "ROUND(CAST(price AS NUMERIC) * 1000000)"
    else:
        charge = "CAST(ROUND(CAST(price AS REAL) * 1000000) AS INTEGER)"
    op.execute(
        f"UPDATE messages SET charge_micros = {charge} "
        "WHERE direction = 'outbound-api' AND status NOT IN ('canceled')"
    )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("debited")
        batch.drop_column("send_at")
        batch.drop_column("charge_micros")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("balance_micros")

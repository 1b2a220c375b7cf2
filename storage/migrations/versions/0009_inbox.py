"""inbox: Telegram updates stored before they are confirmed, and per-chat processing leases

Revision ID: 0009
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_updates")),
        sa.UniqueConstraint("bot_id", "update_id", name=op.f("uq_inbox_updates_bot_id")),
    )
    op.create_index(op.f("ix_inbox_updates_chat_id"), "inbox_updates", ["chat_id"], unique=False)
    op.create_table(
        "inbox_chats",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "chat_id", name=op.f("pk_inbox_chats")),
    )


def downgrade() -> None:
    op.drop_table("inbox_chats")
    op.drop_index(op.f("ix_inbox_updates_chat_id"), table_name="inbox_updates")
    op.drop_table("inbox_updates")

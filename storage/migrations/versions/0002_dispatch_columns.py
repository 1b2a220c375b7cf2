"""dispatch: delivery receipt, case escalation time, notification dedup key

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt", sa.String(length=255), nullable=True))
    with op.batch_alter_table("department_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedup_key", sa.String(length=96), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_notifications_dedup_key"), ["dedup_key"])


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_notifications_dedup_key"), type_="unique")
        batch_op.drop_column("dedup_key")
    with op.batch_alter_table("department_cases", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("receipt")

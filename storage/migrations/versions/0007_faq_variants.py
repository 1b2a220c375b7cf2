"""help desk: a staff addition can be a new wording of an existing bank entry

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_additions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faq_additions", schema=None) as batch_op:
        batch_op.drop_column("entry_id")

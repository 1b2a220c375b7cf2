"""personal data: sealed columns as text, blind index of the ID number, retention marks

Existing plain values stay readable (the column types read them) until `python -m bot keys
rotate` seals them and fills the blind index; the migration has no keys, by design.

Revision ID: 0004
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, column, type before) of every column that now holds e1.<kid>.<token> text.
SEALED = [
    ("drafts", "data", sa.JSON()),
    ("events", "payload", sa.JSON()),
    ("applications", "data", sa.JSON()),
    ("department_cases", "note", sa.Text()),
    ("department_cases", "correction", sa.JSON()),
    ("notifications", "body", sa.JSON()),
    ("audit", "detail", sa.JSON()),
    ("tickets", "question", sa.Text()),
    ("tickets", "context", sa.JSON()),
    ("tickets", "answer", sa.Text()),
    ("faq_additions", "question", sa.Text()),
    ("faq_additions", "answer", sa.Text()),
    ("ratings", "comment", sa.Text()),
]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table, column, before in SEALED:
        if pg and isinstance(before, sa.JSON):  # SQLite stores JSON as text already
            op.alter_column(table, column, type_=sa.Text(), existing_type=before, postgresql_using=f"{column}::text")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_index", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_applications_id_index"), ["id_index"], unique=False)
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purge_warned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("purge_warned_at")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_id_index"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("id_index")
    if op.get_bind().dialect.name == "postgresql":
        for table, column, before in SEALED:
            if isinstance(before, sa.JSON):  # sealed values are not JSON: only a plain database goes back
                op.alter_column(
                    table, column, type_=before, existing_type=sa.Text(), postgresql_using=f"{column}::json"
                )

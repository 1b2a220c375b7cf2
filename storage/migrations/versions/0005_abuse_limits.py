"""abuse limits: blob references, staff pending actions, callback nonces

Revision ID: 0005
Revises: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def _shas(data) -> set[str]:
    if isinstance(data, str):
        data = json.loads(data)
    slots = ((data or {}).get("materials") or {}).values()  # a draft's lists, or an application's {title, files}
    return {
        f["sha256"]
        for slot in slots
        for f in (slot.get("files") if isinstance(slot, dict) else slot) or []
        if isinstance(f, dict) and f.get("sha256")
    }


def upgrade() -> None:
    refs = op.create_table(
        "blob_refs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "holder", name=op.f("pk_blob_refs")),
    )
    with op.batch_alter_table("blob_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blob_refs_holder"), ["holder"], unique=False)
    op.create_table(
        "pending_actions",
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_pending_actions")),
    )
    op.create_table(
        "callback_nonces",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_callback_nonces")),
    )
    with op.batch_alter_table("callback_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_nonces_seen_at"), ["seen_at"], unique=False)
    # Files already stored are referenced by the drafts and applications that hold them.
    bind = op.get_bind()
    rows = [
        {"sha256": sha, "holder": f"draft:{i}"}
        for i, data in bind.execute(sa.text("SELECT id, data FROM drafts"))
        for sha in _shas(data)
    ]
    rows += [
        {"sha256": sha, "holder": f"app:{i}"}
        for i, data in bind.execute(sa.text("SELECT id, data FROM applications"))
        for sha in _shas(data)
    ]
    if rows:
        op.bulk_insert(refs, rows)


def downgrade() -> None:
    with op.batch_alter_table("callback_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_nonces_seen_at"))
    op.drop_table("callback_nonces")
    op.drop_table("pending_actions")
    with op.batch_alter_table("blob_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blob_refs_holder"))
    op.drop_table("blob_refs")

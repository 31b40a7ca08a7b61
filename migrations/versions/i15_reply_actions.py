"""reply actions: reminder pauses

Revision ID: i15_reply_actions
Revises: i15_replies
"""
from alembic import op
import sqlalchemy as sa


revision = 'i15_reply_actions'
down_revision = 'i15_replies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder_pause",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("debtor_id", sa.Integer(), sa.ForeignKey("debtor.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reminder_pause_debtor_until", "reminder_pause", ["debtor_id", "until"])


def downgrade():
    op.drop_index("ix_reminder_pause_debtor_until", table_name="reminder_pause")
    op.drop_table("reminder_pause")

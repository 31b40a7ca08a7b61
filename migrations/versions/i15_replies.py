"""reply understanding: model versions and staff labels

Revision ID: i15_replies
Revises: i16_webhooks
"""
from alembic import op
import sqlalchemy as sa



revision = 'i15_replies'
down_revision = 'i16_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reply_model_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("artifact_path", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("library_versions", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_corrections", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reply_label",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=16), nullable=True),
        sa.Column("staff_user_id", sa.Integer(),
                  sa.ForeignKey("staff_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("reply_label")
    op.drop_table("reply_model_version")

"""server-side sessions, rotating remember-me tokens, link visit throttle

Revision ID: i12_sessions
Revises: i13_policy_band_consent
"""
from alembic import op
import sqlalchemy as sa

revision = 'i12_sessions'
down_revision = 'i13_policy_band_consent'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_kind", sa.String(length=1), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=24), nullable=True),
        sa.CheckConstraint("user_kind IN ('d','s')", name=op.f("ck_user_session_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    op.create_index("ix_user_session_user", "user_session", ["user_kind", "user_id"])
    op.create_table(
        "remember_token",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_kind", sa.String(length=1), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("user_kind IN ('d','s')", name=op.f("ck_remember_token_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remember_token")),
    )
    op.create_index("ix_remember_token_user", "remember_token", ["user_kind", "user_id"])
    with op.batch_alter_table("access_link") as batch:
        batch.add_column(sa.Column("last_visit_at", sa.DateTime(timezone=True), nullable=True))

def downgrade():
    with op.batch_alter_table("access_link") as batch:
        batch.drop_column("last_visit_at")
    op.drop_index("ix_remember_token_user", table_name="remember_token")
    op.drop_table("remember_token")
    op.drop_index("ix_user_session_user", table_name="user_session")
    op.drop_table("user_session")

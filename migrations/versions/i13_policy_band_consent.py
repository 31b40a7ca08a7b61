"""Issue 13: the band a reminder was planned under, and per-channel consent dates.

Revision ID: i13_policy_band_consent
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "i13_policy_band_consent"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("band", sa.String(length=8), nullable=True))
    with op.batch_alter_table("debtor") as batch:
        batch.add_column(sa.Column("consent_email_at", sa.Date(), nullable=True))
        batch.add_column(sa.Column("consent_sms_at", sa.Date(), nullable=True))
        batch.add_column(sa.Column("consent_whatsapp_at", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("debtor") as batch:
        batch.drop_column("consent_whatsapp_at")
        batch.drop_column("consent_sms_at")
        batch.drop_column("consent_email_at")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("band")

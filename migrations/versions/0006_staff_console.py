"""staff console

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("dispute") as batch:
        batch.add_column(sa.Column("resolution_action", sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table("dispute") as batch:
        batch.drop_column("resolution_action")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("name")

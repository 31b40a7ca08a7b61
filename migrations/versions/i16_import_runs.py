"""ledger import runs: origin, customers, first errors, content hash of dropped files

Revision ID: i16_import_runs
Revises: i15_reply_actions
"""
from alembic import op
import sqlalchemy as sa


revision = 'i16_import_runs'
down_revision = 'i15_reply_actions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_run") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=16), nullable=False,
                                   server_default="cli"))
        batch.add_column(sa.Column("customers", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("errors", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_import_run_content_sha256", ["content_sha256"])


def downgrade():
    with op.batch_alter_table("import_run") as batch:
        batch.drop_constraint("uq_import_run_content_sha256", type_="unique")
        batch.drop_column("content_sha256")
        batch.drop_column("errors")
        batch.drop_column("customers")
        batch.drop_column("origin")

"""payments: excess refunds and receipts on payments

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment') as batch:
        batch.add_column(sa.Column('excess_minor', sa.BigInteger(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('excess_refunded_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('receipt_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('payment') as batch:
        batch.drop_column('receipt_sent_at')
        batch.drop_column('excess_refunded_at')
        batch.drop_column('excess_minor')

"""unique-where-set indexes on the ledger columns an import leaves NULL

Revision ID: i16_import_indexes
Revises: i15_reply_understanding
The Stripe ids and idempotency key of a payment and the Stripe customer of a debtor are
unique only where they are set: a partial unique index (`WHERE col IS NOT NULL`) instead of
a unique constraint. NULLs never conflicted, so what is allowed is unchanged; rows that
leave the column NULL (every imported payment and debtor) no longer add an index entry.
No `ON CONFLICT` names these columns.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i16_import_indexes'
down_revision = 'i15_reply_understanding'
branch_labels = None
depends_on = None

COLUMNS = {"debtor": ("stripe_customer_id",),
           "payment": ("stripe_payment_intent_id", "idempotency_key")}


def _where(column):
    return sa.text(f"{column} IS NOT NULL")


def upgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                name = f"uq_{table}_{column}"
                batch_op.drop_constraint(name, type_='unique')
                batch_op.create_index(name, [column], unique=True,
                                      postgresql_where=_where(column),
                                      sqlite_where=_where(column))


def downgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                name = f"uq_{table}_{column}"
                batch_op.drop_index(name, postgresql_where=_where(column),
                                    sqlite_where=_where(column))
                batch_op.create_unique_constraint(name, [column])

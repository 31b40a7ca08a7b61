"""reply understanding and one open promise per invoice

Revision ID: i15_reply_understanding
Revises: i16_webhook_outbox
What Saldo understood of each inbound message and what it did (issue 15), the message a
staff label corrects, and a partial
unique index so two promises made at the same moment cannot both stay open on one invoice.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i15_reply_understanding'
down_revision = 'i16_webhook_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_understanding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inbound_message_id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=16), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('promised_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.String(length=32), nullable=True),
    sa.Column('by_rule', sa.Boolean(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('handled', sa.Boolean(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answer_message_id', sa.Integer(), nullable=True),
    sa.Column('promise_id', sa.Integer(), nullable=True),
    sa.Column('dispute_id', sa.Integer(), nullable=True),
    sa.Column('corrected_intent', sa.String(length=16), nullable=True),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("intent IN ('promise','already_paid','hardship','dispute','stop','question','other')", name=op.f('ck_reply_understanding_intent_known')),
    sa.CheckConstraint('confidence >= 0 AND confidence <= 1', name=op.f('ck_reply_understanding_confidence_range')),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_message.id'], name=op.f('fk_reply_understanding_inbound_message_id_inbound_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_reply_understanding_debtor_id_debtor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_version_id'], ['reply_model_version.id'], name=op.f('fk_reply_understanding_model_version_id_reply_model_version'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['answer_message_id'], ['message.id'], name=op.f('fk_reply_understanding_answer_message_id_message'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['promise_id'], ['promise_to_pay.id'], name=op.f('fk_reply_understanding_promise_id_promise_to_pay'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_reply_understanding_dispute_id_dispute'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['staff_user.id'], name=op.f('fk_reply_understanding_corrected_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_understanding')),
    sa.UniqueConstraint('inbound_message_id', name=op.f('uq_reply_understanding_inbound_message_id')),
    )
    with op.batch_alter_table('reply_understanding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_understanding_debtor_id'), ['debtor_id'], unique=False)

    with op.batch_alter_table('reply_label', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbound_message_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_reply_label_inbound_message_id'), ['inbound_message_id'])
        batch_op.create_foreign_key(batch_op.f('fk_reply_label_inbound_message_id_inbound_message'), 'inbound_message', ['inbound_message_id'], ['id'], ondelete='SET NULL')

    # Before the index: of several open promises on one invoice, the newest stays open.
    op.execute(
        "UPDATE promise_to_pay SET status = 'cancelled', resolved_at = created_at "
        "WHERE status = 'open' AND id NOT IN ("
        "SELECT max(id) FROM promise_to_pay WHERE status = 'open' GROUP BY invoice_id)")
    op.create_index('uq_promise_open_invoice', 'promise_to_pay', ['invoice_id'], unique=True,
                    sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))


def downgrade():
    op.drop_index('uq_promise_open_invoice', table_name='promise_to_pay',
                  sqlite_where=sa.text("status = 'open'"),
                  postgresql_where=sa.text("status = 'open'"))
    with op.batch_alter_table('reply_label', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reply_label_inbound_message_id_inbound_message'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_reply_label_inbound_message_id'), type_='unique')
        batch_op.drop_column('inbound_message_id')
    with op.batch_alter_table('reply_understanding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_understanding_debtor_id'))
    op.drop_table('reply_understanding')

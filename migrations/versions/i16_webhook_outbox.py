"""outbound webhooks delivered through the outbox

Revision ID: i16_webhook_outbox
Revises: i14_outbox_replies
Every (event, endpoint) delivery becomes a `message` row of kind `webhook` (no debtor; it
names the event and the endpoint), sent by the outbox dispatcher. Existing deliveries move
over with their state (delivered -> sent, sending -> pending) and their attempt log;
`webhook_delivery` goes away and `webhook_attempt` is keyed to the message.
"""
from alembic import op
import sqlalchemy as sa


revision = 'i16_webhook_outbox'
down_revision = 'i14_outbox_replies'
branch_labels = None
depends_on = None

RECIPIENT_KNOWN = (
    "(kind = 'webhook' AND debtor_id IS NULL AND webhook_event_id IS NOT NULL"
    " AND webhook_endpoint_id IS NOT NULL) OR (kind <> 'webhook' AND debtor_id IS NOT NULL"
    " AND webhook_event_id IS NULL AND webhook_endpoint_id IS NULL)")

MOVE_DELIVERIES = """
INSERT INTO message (debtor_id, webhook_event_id, webhook_endpoint_id, kind, channel,
                     template, tone, rule, reason, locale, dedupe_key, status, send_at,
                     attempts, last_error, provider_id, sent_at, created_at)
SELECT NULL, d.event_id, d.endpoint_id, 'webhook', 'webhook', 'webhook', 'neutral',
       'webhook', e.type, 'es',
       'webhook:' || CAST(d.event_id AS VARCHAR(20)) || ':' || CAST(d.endpoint_id AS VARCHAR(20)),
       CASE d.status WHEN 'delivered' THEN 'sent' WHEN 'sending' THEN 'pending'
                     ELSE d.status END,
       d.send_at, d.attempts, d.last_error,
       CASE WHEN d.last_status_code IS NULL THEN NULL
            ELSE 'HTTP ' || CAST(d.last_status_code AS VARCHAR(8)) END,
       d.delivered_at, d.created_at
FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
ORDER BY d.id
"""

KEY_ATTEMPTS_TO_MESSAGES = """
UPDATE webhook_attempt SET message_id = (
    SELECT m.id FROM message m JOIN webhook_delivery d
      ON m.webhook_event_id = d.event_id AND m.webhook_endpoint_id = d.endpoint_id
    WHERE d.id = webhook_attempt.delivery_id)
"""

MOVE_BACK = """
INSERT INTO webhook_delivery (event_id, endpoint_id, status, attempts, send_at, claimed_at,
                              last_status_code, last_error, delivered_at, created_at)
SELECT m.webhook_event_id, m.webhook_endpoint_id,
       CASE m.status WHEN 'sent' THEN 'delivered' WHEN 'sending' THEN 'sending'
                     WHEN 'pending' THEN 'pending' ELSE 'failed' END,
       m.attempts, m.send_at, m.claimed_at, NULL, m.last_error, m.sent_at, m.created_at
FROM message m WHERE m.kind = 'webhook' ORDER BY m.id
"""

KEY_ATTEMPTS_TO_DELIVERIES = """
UPDATE webhook_attempt SET delivery_id = (
    SELECT d.id FROM webhook_delivery d JOIN message m
      ON m.webhook_event_id = d.event_id AND m.webhook_endpoint_id = d.endpoint_id
    WHERE m.id = webhook_attempt.message_id)
"""


def _create_delivery_table():
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','sending','delivered','failed')", name=op.f('ck_webhook_delivery_status_known')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_event.id'], name=op.f('fk_webhook_delivery_event_id_webhook_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('event_id', 'endpoint_id', name='uq_webhook_delivery_pair')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_status_send_at', ['status', 'send_at'], unique=False)


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('debtor_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('webhook_event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('webhook_endpoint_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_webhook_event_id_webhook_event'), 'webhook_event', ['webhook_event_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_message_webhook_endpoint_id_webhook_endpoint'), 'webhook_endpoint', ['webhook_endpoint_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_message_webhook_event_id'), ['webhook_event_id'], unique=False)
        batch_op.create_check_constraint(op.f('ck_message_recipient_known'), RECIPIENT_KNOWN)

    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))

    op.execute(MOVE_DELIVERIES)
    op.execute(KEY_ATTEMPTS_TO_MESSAGES)
    op.execute("DELETE FROM webhook_attempt WHERE message_id IS NULL")

    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_delivery_id'))
        batch_op.drop_constraint(batch_op.f('fk_webhook_attempt_delivery_id_webhook_delivery'), type_='foreignkey')
        batch_op.drop_column('delivery_id')
        batch_op.alter_column('message_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_webhook_attempt_message_id_message'), 'message', ['message_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_webhook_attempt_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_status_send_at')
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_endpoint_id'))
    op.drop_table('webhook_delivery')


def downgrade():
    _create_delivery_table()
    op.execute(MOVE_BACK)
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))
    op.execute(KEY_ATTEMPTS_TO_DELIVERIES)
    op.execute("DELETE FROM webhook_attempt WHERE delivery_id IS NULL")
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_message_id'))
        batch_op.drop_constraint(batch_op.f('fk_webhook_attempt_message_id_message'), type_='foreignkey')
        batch_op.drop_column('message_id')
        batch_op.alter_column('delivery_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_webhook_attempt_delivery_id_webhook_delivery'), 'webhook_delivery', ['delivery_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)

    op.execute("DELETE FROM message WHERE kind = 'webhook'")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_message_recipient_known'), type_='check')
        batch_op.drop_index(batch_op.f('ix_message_webhook_event_id'))
        batch_op.drop_constraint(batch_op.f('fk_message_webhook_endpoint_id_webhook_endpoint'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_webhook_event_id_webhook_event'), type_='foreignkey')
        batch_op.drop_column('webhook_endpoint_id')
        batch_op.drop_column('webhook_event_id')
        batch_op.alter_column('debtor_id', existing_type=sa.Integer(), nullable=False)

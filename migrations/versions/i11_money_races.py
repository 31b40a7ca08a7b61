"""money under concurrency: payments claimed while confirming (and while refunding);
payment issues for staff; chargebacks, with plan autopay paused while one is open

Revision ID: i11_money_races
Revises: i16_import_runs
"""
from alembic import op
import sqlalchemy as sa


revision = "i11_money_races"
down_revision = "i16_import_runs"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending','succeeded','failed','refunded','partially_refunded')"
NEW_STATUSES = ("status IN ('pending','confirming','succeeded','failed','refunded',"
                "'partially_refunded')")


def upgrade():
    with op.batch_alter_table("payment") as batch:
        batch.drop_constraint(op.f("ck_payment_status_known"), type_="check")
        batch.create_check_constraint("status_known", NEW_STATUSES)
        batch.add_column(sa.Column("refund_claimed_at", sa.DateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table("payment_plan") as batch:
        batch.add_column(sa.Column("autopay_paused_at", sa.DateTime(timezone=True),
                                   nullable=True))
    op.create_table(
        "payment_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("stripe_ref", sa.String(length=255), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('mismatch','unmatched_charge','double_charge',"
                           "'refund_failed','chargeback')", name=op.f("ck_payment_issue_kind_known")),
        sa.CheckConstraint("action IN ('flagged','refunded')",
                           name=op.f("ck_payment_issue_action_known")),
        sa.CheckConstraint("status IN ('open','resolved')",
                           name=op.f("ck_payment_issue_status_known")),
        sa.ForeignKeyConstraint(["debtor_id"], ["debtor.id"], ondelete="CASCADE",
                                name=op.f("fk_payment_issue_debtor_id_debtor")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], ondelete="CASCADE",
                                name=op.f("fk_payment_issue_payment_id_payment")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["staff_user.id"],
                                name=op.f("fk_payment_issue_resolved_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_issue")),
        sa.UniqueConstraint("kind", "stripe_ref", name="uq_payment_issue_kind_ref"),
    )
    op.create_index("ix_payment_issue_debtor_id", "payment_issue", ["debtor_id"])
    op.create_index("ix_payment_issue_status_created", "payment_issue",
                    ["status", "created_at"])
    op.create_table(
        "chargeback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_dispute_id", sa.String(length=255), nullable=False),
        sa.Column("stripe_charge_id", sa.String(length=255), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("released_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_chargeback_amount_positive")),
        sa.CheckConstraint("outcome IN ('open','won','lost')",
                           name=op.f("ck_chargeback_outcome_known")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], ondelete="CASCADE",
                                name=op.f("fk_chargeback_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargeback")),
        sa.UniqueConstraint("stripe_dispute_id", name=op.f("uq_chargeback_stripe_dispute_id")),
    )
    op.create_index("ix_chargeback_payment_id", "chargeback", ["payment_id"])


def downgrade():
    op.drop_index("ix_chargeback_payment_id", table_name="chargeback")
    op.drop_table("chargeback")
    op.drop_index("ix_payment_issue_status_created", table_name="payment_issue")
    op.drop_index("ix_payment_issue_debtor_id", table_name="payment_issue")
    op.drop_table("payment_issue")
    op.execute("UPDATE payment SET status = 'pending' WHERE status = 'confirming'")
    with op.batch_alter_table("payment_plan") as batch:
        batch.drop_column("autopay_paused_at")
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("refund_claimed_at")
        batch.drop_constraint(op.f("ck_payment_status_known"), type_="check")
        batch.create_check_constraint("status_known", OLD_STATUSES)

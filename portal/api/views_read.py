"""Read-only lists of what debtors did and what Saldo sent or scored.

Promises, disputes, payment plans, messages (the outbox) and risk scores, each with cursor
pagination, `updated_since` (on when the row last changed) and `customer_id`.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from sqlalchemy import func, select

from portal.api import bp
from portal.api.auth import require
from portal.api.pagination import page
from portal.api.schemas import ListArgs, page_schema
from portal.models import Dispute, Invoice, Message, PaymentPlan, PromiseToPay, RiskScore


def _invoice_ref(row) -> str | None:
    return row.invoice.external_id if getattr(row, "invoice", None) is not None else None


class PromiseOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.Function(lambda p: p.debtor.external_id, required=True)
    invoice_id = f.Function(lambda p: p.invoice.external_id, required=True)
    promised_on = f.Date(required=True)
    amount_minor = f.Integer(required=True)
    currency = f.String(required=True)
    status = f.String(required=True)
    created_at = f.DateTime(required=True)
    resolved_at = f.DateTime(allow_none=True)


class DisputeOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.Function(lambda d: d.debtor.external_id, required=True)
    invoice_id = f.Function(lambda d: d.invoice.external_id, required=True)
    reason = f.String(required=True)
    message = f.String(required=True)
    status = f.String(required=True)
    resolution_action = f.String(allow_none=True)
    resolution_note = f.String(allow_none=True)
    created_at = f.DateTime(required=True)
    resolved_at = f.DateTime(allow_none=True)


class InstallmentOut(ma.Schema):
    seq = f.Integer(required=True)
    due_on = f.Date(required=True)
    amount_minor = f.Integer(required=True)
    status = f.String(required=True)


class PlanOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.Method("_customer", required=True, metadata={"type": "string"})
    status = f.String(required=True)
    total_minor = f.Integer(required=True)
    currency = f.String(required=True)
    frequency = f.String(required=True)
    installment_count = f.Integer(required=True)
    installments = f.List(f.Nested(InstallmentOut), required=True)
    created_at = f.DateTime(required=True)
    ended_at = f.DateTime(allow_none=True)

    def _customer(self, plan) -> str:
        from portal.extensions import db
        from portal.models import Debtor

        return db.session.get(Debtor, plan.debtor_id).external_id


class MessageOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.Method("_customer", required=True, metadata={"type": "string"})
    invoice_id = f.Method("_invoice", allow_none=True, metadata={"type": ["string", "null"]})
    channel = f.String(required=True)
    template = f.String(required=True)
    reason = f.String(required=True)
    status = f.String(required=True)
    send_at = f.DateTime(required=True)
    sent_at = f.DateTime(allow_none=True)
    opened_at = f.DateTime(allow_none=True)
    clicked_at = f.DateTime(allow_none=True)
    created_at = f.DateTime(required=True)

    def _customer(self, message) -> str:
        from portal.extensions import db
        from portal.models import Debtor

        return db.session.get(Debtor, message.debtor_id).external_id

    def _invoice(self, message) -> str | None:
        from portal.extensions import db

        invoice = db.session.get(Invoice, message.invoice_id) if message.invoice_id else None
        return invoice.external_id if invoice else None


class RiskScoreOut(ma.Schema):
    id = f.Integer(required=True)
    invoice_id = f.Method("_invoice", required=True, metadata={"type": "string"})
    probability = f.Float(required=True)
    band = f.String(required=True)
    reasons = f.List(f.Raw(), required=True)
    scored_at = f.DateTime(required=True)

    def _invoice(self, score) -> str:
        from portal.extensions import db

        return db.session.get(Invoice, score.invoice_id).external_id


def _list(rule: str, name: str, schema, model, changed, debtor_column):
    def view(args: dict):
        return page(model, args, changed=changed, debtor_column=debtor_column)

    view.__name__ = view.__qualname__ = f"list_{name.lower()}s"
    view.__doc__ = (f"List {rule.strip('/').replace('-', ' ')} (cursor pagination; "
                    "`updated_since`; `customer_id`).")
    decorated = bp.response(200, page_schema(schema, f"{name}Page"))(view)
    decorated = bp.arguments(ListArgs, location="query")(decorated)
    decorated = require("read")(decorated)
    return bp.route(rule, methods=["GET"])(decorated)


_list("/promises", "Promise", PromiseOut, PromiseToPay,
      func.coalesce(PromiseToPay.resolved_at, PromiseToPay.created_at), PromiseToPay.debtor_id)
_list("/disputes", "Dispute", DisputeOut, Dispute,
      func.coalesce(Dispute.resolved_at, Dispute.created_at), Dispute.debtor_id)
_list("/plans", "Plan", PlanOut, PaymentPlan,
      func.coalesce(PaymentPlan.ended_at, PaymentPlan.created_at), PaymentPlan.debtor_id)
_list("/messages", "Message", MessageOut, Message,
      func.coalesce(Message.sent_at, Message.created_at), Message.debtor_id)
_list("/risk-scores", "RiskScore", RiskScoreOut, RiskScore, RiskScore.scored_at,
      select(Invoice.debtor_id).where(Invoice.id == RiskScore.invoice_id).scalar_subquery())

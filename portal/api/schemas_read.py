"""Shapes of what the API only reads (and webhooks report): promises, disputes, plans,
messages, risk scores."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f

from portal.extensions import db
from portal.models import Debtor, Invoice


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
        return db.session.get(Debtor, message.debtor_id).external_id

    def _invoice(self, message) -> str | None:
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
        return db.session.get(Invoice, score.invoice_id).external_id

"""Shapes of what the API only reads (and webhooks report): promises, disputes, plans,
messages, risk scores, conversations."""

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


class ConversationMessageOut(ma.Schema):
    """One message of a conversation, either way: `inbound` (what the debtor, or an unknown
    sender, wrote) or `outbound` (an outbox message to the debtor: reminder, receipt, staff
    reply …; `text` only for what a person wrote)."""

    id = f.Integer(required=True)
    direction = f.String(required=True, metadata={"enum": ["inbound", "outbound"]})
    conversation_id = f.Integer(required=True)
    customer_id = f.String(required=True, allow_none=True)
    channel = f.String(required=True)
    kind = f.String(required=True, metadata={"description": "`reply` for inbound messages; "
                                                           "the outbox kind otherwise"})
    status = f.String(required=True, metadata={"description": "`received` for inbound ones"})
    sender = f.String(required=True, allow_none=True)
    subject = f.String(required=True, allow_none=True)
    text = f.String(required=True, allow_none=True)
    at = f.DateTime(required=True, metadata={"description": "received, sent or planned"})
    in_reply_to_message_id = f.Integer(required=True, allow_none=True)
    action = f.String(required=True, allow_none=True,
                      metadata={"description": "what reply handling did (e.g. `opt_out`)"})


def inbound_item(inbound, customer_id: str | None) -> dict:
    """An inbound message as the API (and the `reply.received` webhook) shows it."""
    return {"id": inbound.id, "direction": "inbound",
            "conversation_id": inbound.conversation_id, "customer_id": customer_id,
            "channel": inbound.channel, "kind": "reply", "status": "received",
            "sender": inbound.sender, "subject": inbound.subject, "text": inbound.text,
            "at": inbound.received_at, "in_reply_to_message_id": inbound.in_reply_to_id,
            "action": inbound.action}


def outbound_item(message, conversation_id: int, customer_id: str | None) -> dict:
    return {"id": message.id, "direction": "outbound", "conversation_id": conversation_id,
            "customer_id": customer_id, "channel": message.channel, "kind": message.kind,
            "status": message.status, "sender": None, "subject": message.subject,
            "text": message.body, "at": message.sent_at or message.send_at,
            "in_reply_to_message_id": None, "action": None}


class ConversationOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.String(required=True, allow_none=True,
                           metadata={"description": "null: a sender we could not match"})
    status = f.String(required=True, metadata={"enum": ["open", "done"]})
    last_inbound_at = f.DateTime(required=True, allow_none=True)
    updated_at = f.DateTime(required=True, metadata={
        "description": "the latest message either way (or when it began)"})
    created_at = f.DateTime(required=True)


class ConversationDetailOut(ConversationOut):
    messages = f.List(f.Nested(ConversationMessageOut), required=True, metadata={
        "description": "oldest first; the latest 500 when there are more"})
    messages_truncated = f.Boolean(required=True)

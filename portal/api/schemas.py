"""The API's request and response shapes (marshmallow): they parse, shape and document.

Money is always `*_minor` (an integer number of minor units) next to `currency` (ISO 4217).
Timestamps are ISO 8601 in UTC; dates are YYYY-MM-DD.
"""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from portal.debtor.identity import KINDS
from portal.models import CHANNELS


def _identifier(value: str) -> None:
    """Ids as billing systems write them: printable, no surrounding spaces."""
    if not 1 <= len(value) <= 64:
        raise ma.ValidationError("must be 1 to 64 characters")
    if value != value.strip() or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
        raise ma.ValidationError("must not contain control characters or surrounding spaces")
    if not value.isprintable():
        raise ma.ValidationError("must contain printable characters only")


ID = _identifier
CURRENCY = v.Regexp(r"^[A-Za-z]{3}$", error="must be a three-letter ISO 4217 code")
MAX_MINOR = 10**15 - 1


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class Identity(Strict):
    kind = f.String(required=True, validate=v.OneOf(KINDS))
    value = f.String(required=True, validate=v.Length(min=1, max=64), load_only=True)


class Channels(Strict):
    email = f.Boolean()
    sms = f.Boolean()
    whatsapp = f.Boolean()
    push = f.Boolean()


class Consent(Strict):
    email = f.Date(allow_none=True)
    sms = f.Date(allow_none=True)
    whatsapp = f.Date(allow_none=True)


class DebtorIn(Strict):
    external_id = f.String(required=True, validate=ID)
    name = f.String(validate=v.Length(min=1, max=200))
    email = f.String(allow_none=True, validate=v.Length(max=254))
    phone = f.String(allow_none=True, validate=v.Length(max=32))
    locale = f.String(allow_none=True, validate=v.Length(max=10))
    timezone = f.String(allow_none=True, validate=v.Length(max=64))
    country = f.String(allow_none=True, validate=v.Length(max=8))
    paperless = f.Boolean()
    channels = f.Nested(Channels, metadata={"description": "Channels the debtor allows"})
    consent = f.Nested(Consent, metadata={"description": "The day the debtor consented to "
                                          "each channel (null clears it); required before "
                                          "contact where the law asks for explicit consent"})
    identity = f.Nested(Identity, metadata={"description": "The fact a debtor confirms "
                                            "before seeing amounts; stored hashed"})


class DebtorOut(ma.Schema):
    id = f.Integer(required=True)
    external_id = f.String(required=True)
    name = f.String(required=True)
    email = f.String(allow_none=True)
    phone = f.String(allow_none=True)
    locale = f.String(required=True)
    timezone = f.String(required=True)
    country = f.String(allow_none=True)
    paperless = f.Boolean(required=True)
    channels = f.Method("_channels", required=True,
                        metadata={"type": "object",
                                  "additionalProperties": {"type": "boolean"}})
    consent = f.Method("_consent", required=True, metadata={
        "type": "object", "additionalProperties": {"type": ["string", "null"],
                                                   "format": "date"}})
    opted_out_at = f.DateTime(allow_none=True)
    identity_kind = f.String(allow_none=True)
    created_at = f.DateTime(required=True)
    updated_at = f.DateTime(required=True)

    def _channels(self, debtor) -> dict:
        return {c: bool(getattr(debtor, f"allow_{c}")) for c in CHANNELS}

    def _consent(self, debtor) -> dict:
        from portal.debtor.consent import consents_of

        return {c: d.isoformat() if d else None for c, d in consents_of(debtor).items()}


class InvoiceIn(Strict):
    invoice_id = f.String(required=True, validate=ID,
                          metadata={"description": "The billing system's invoice id"})
    customer_id = f.String(required=True, validate=ID,
                           metadata={"description": "The debtor's external_id"})
    customer_name = f.String(validate=v.Length(min=1, max=200))
    issue_date = f.Date(required=True)
    due_date = f.Date(required=True)
    amount_minor = f.Integer(required=True, strict=True, validate=v.Range(1, MAX_MINOR))
    currency = f.String(validate=CURRENCY)
    paid_date = f.Date(allow_none=True)
    paid_amount_minor = f.Integer(allow_none=True, strict=True, validate=v.Range(0, MAX_MINOR))
    disputed = f.Boolean()
    paperless = f.Boolean(allow_none=True)


class BulkInvoicesIn(Strict):
    invoices = f.List(f.Nested(InvoiceIn), required=True, validate=v.Length(min=1, max=1000))
    dry_run = f.Boolean(load_default=False,
                        metadata={"description": "Validate and count, write nothing"})


class InvoiceOut(ma.Schema):
    id = f.Integer(required=True)
    invoice_id = f.String(required=True, attribute="external_id")
    customer_id = f.Function(lambda inv: inv.debtor.external_id, required=True)
    issue_date = f.Date(required=True, attribute="issued_on")
    due_date = f.Date(required=True, attribute="due_on")
    amount_minor = f.Integer(required=True)
    paid_minor = f.Integer(required=True)
    balance_minor = f.Integer(required=True)
    currency = f.String(required=True)
    status = f.String(required=True, validate=v.OneOf(("open", "paid", "cancelled")))
    settled_on = f.Date(allow_none=True)
    disputed = f.Boolean(required=True)
    created_at = f.DateTime(required=True)
    updated_at = f.DateTime(required=True)


class BulkInvoicesOut(ma.Schema):
    dry_run = f.Boolean(required=True)
    created = f.Integer(required=True)
    updated = f.Integer(required=True)
    invoices = f.List(f.Nested(InvoiceOut), required=True)


class CreditNoteIn(Strict):
    credit_note_id = f.String(required=True, validate=ID)
    amount_minor = f.Integer(required=True, strict=True, validate=v.Range(1, MAX_MINOR))
    reason = f.String(validate=v.Length(max=200))
    issued_on = f.Date()


class CreditNoteOut(ma.Schema):
    credit_note_id = f.String(required=True, attribute="external_id")
    invoice_id = f.String(required=True, attribute="invoice_external_id")
    amount_minor = f.Integer(required=True)
    currency = f.String(required=True)
    reason = f.String(allow_none=True)
    issued_on = f.Date(required=True)
    invoice = f.Nested(InvoiceOut, required=True)


class PaymentIn(Strict):
    customer_id = f.String(required=True, validate=ID)
    reference = f.String(required=True, validate=ID,
                         metadata={"description": "The billing system's unique reference"})
    amount_minor = f.Integer(required=True, strict=True, validate=v.Range(1, MAX_MINOR))
    currency = f.String(required=True, validate=CURRENCY)
    method = f.String(required=True, validate=v.OneOf(("transfer", "cash", "other")))
    received_on = f.Date()
    invoice_id = f.String(validate=ID, metadata={"description": "Pay this invoice first"})


class AllocationOut(ma.Schema):
    invoice_id = f.Function(lambda a: a.invoice.external_id, required=True)
    amount_minor = f.Integer(required=True)


class PaymentOut(ma.Schema):
    id = f.Integer(required=True)
    customer_id = f.Function(lambda p: p.debtor.external_id, required=True)
    amount_minor = f.Integer(required=True)
    refunded_minor = f.Integer(required=True)
    currency = f.String(required=True)
    method = f.String(required=True)
    status = f.String(required=True)
    reference = f.Method("_reference", allow_none=True, metadata={"type": ["string", "null"]})
    received_on = f.Date(allow_none=True)
    allocations = f.List(f.Nested(AllocationOut), required=True)
    created_at = f.DateTime(required=True)
    updated_at = f.DateTime(required=True)

    def _reference(self, payment):
        ref = payment.external_ref or ""
        return ref.split(":", 1)[1] if ref.startswith("ext:") else None


class ListArgs(Strict):
    cursor = f.String(validate=v.Length(max=200),
                      metadata={"description": "`next_cursor` of the previous page"})
    limit = f.Integer(load_default=50, validate=v.Range(1, 200))
    updated_since = f.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "Only what changed at or after this instant (ISO 8601)"})
    customer_id = f.String(validate=ID, metadata={"description": "Only this debtor's"})


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of `item`s with the cursor of the next page."""
    return type(name, (ma.Schema,), {
        "data": f.List(f.Nested(item), required=True),
        "has_more": f.Boolean(required=True),
        "next_cursor": f.String(allow_none=True, required=True),
    })

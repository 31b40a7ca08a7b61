"""/api/v1/invoices: upsert one or up to 1,000, read, list, cancel, credit notes."""

from __future__ import annotations

from flask import abort, current_app
from sqlalchemy import select

from portal.api import bp
from portal.api.auth import actor, current_key, require
from portal.api.idempotency import transactional
from portal.api.pagination import page
from portal.api.problems import ApiProblem
from portal.api.schemas import (
    BulkInvoicesIn,
    BulkInvoicesOut,
    CreditNoteIn,
    CreditNoteOut,
    InvoiceIn,
    InvoiceOut,
    ListArgs,
    page_schema,
)
from portal.extensions import db
from portal.ledger.invoices import InvoiceError, add_credit_note, cancel_invoice, upsert_invoices
from portal.models import Invoice, utcnow

InvoicePage = page_schema(InvoiceOut, "InvoicePage")


def invoice_or_404(invoice_id: str) -> Invoice:
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == invoice_id))
    return invoice if invoice is not None else abort(404)


def _upsert(items: list[dict], prefix: str) -> list:
    try:
        return upsert_invoices(items, source=f"api:{current_key().prefix}",
                               default_currency=current_app.config["DEFAULT_CURRENCY"],
                               actor=actor())
    except InvoiceError as exc:
        errors = [{"field": f"{prefix}{e['field']}".rstrip("."), "message": e["message"]}
                  for e in exc.errors]
        raise ApiProblem(exc.status, str(exc), slug="validation-error", errors=errors) from exc


@bp.route("/invoices", methods=["POST"])
@require("write")
@transactional
@bp.arguments(InvoiceIn)
@bp.response(200, InvoiceOut, description="Updated")
@bp.alt_response(201, schema=InvoiceOut, description="Created")
def upsert_invoice_view(data: dict):
    """Create or update an invoice by the billing system's `invoice_id` (as one CSV row)."""
    [(invoice, created)] = _upsert([data], "")
    return invoice, 201 if created else 200


@bp.route("/invoices/bulk", methods=["POST"])
@require("write")
@transactional
@bp.arguments(BulkInvoicesIn)
@bp.response(200, BulkInvoicesOut)
def bulk_invoices(data: dict):
    """Create or update up to 1,000 invoices at once; all or nothing (`dry_run`: only check)."""
    results = _upsert(data["invoices"], "invoices.")
    created = sum(1 for _, was_created in results if was_created)
    invoices = [invoice for invoice, _ in results]
    if data["dry_run"]:
        db.session.rollback()
        invoices = []
    return {"dry_run": data["dry_run"], "created": created, "updated": len(results) - created,
            "invoices": invoices}


@bp.route("/invoices", methods=["GET"])
@require("read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, InvoicePage)
def list_invoices(args: dict):
    """List invoices (cursor pagination; `updated_since`; `customer_id`)."""
    return page(Invoice, args, debtor_column=Invoice.debtor_id)


@bp.route("/invoices/<string:invoice_id>", methods=["GET"])
@require("read")
@bp.response(200, InvoiceOut)
def get_invoice(invoice_id: str):
    """One invoice by the billing system's id."""
    return invoice_or_404(invoice_id)


@bp.route("/invoices/<string:invoice_id>/cancel", methods=["POST"])
@require("write")
@transactional
@bp.response(200, InvoiceOut)
def cancel_invoice_view(invoice_id: str):
    """Cancel an open invoice nothing was paid on."""
    try:
        return cancel_invoice(invoice_or_404(invoice_id), actor=actor())
    except InvoiceError as exc:
        raise ApiProblem(exc.status, str(exc), errors=exc.errors) from exc


@bp.route("/invoices/<string:invoice_id>/credit-notes", methods=["POST"])
@require("write")
@transactional
@bp.arguments(CreditNoteIn)
@bp.response(201, CreditNoteOut)
def credit_note_view(data: dict, invoice_id: str):
    """Issue a credit note: lowers what is owed (cancels the invoice when it covers all)."""
    invoice = invoice_or_404(invoice_id)
    try:
        note, _ = add_credit_note(invoice, data["credit_note_id"], data["amount_minor"],
                                  reason=data.get("reason"),
                                  issued_on=data.get("issued_on") or utcnow().date(),
                                  actor=actor())
    except InvoiceError as exc:
        raise ApiProblem(exc.status, str(exc), errors=exc.errors) from exc
    db.session.refresh(invoice)
    return {"external_id": note.external_id, "invoice_external_id": invoice.external_id,
            "amount_minor": note.amount_minor, "currency": note.currency, "reason": note.reason,
            "issued_on": note.issued_on, "invoice": invoice}

"""Invoices from the billing system one by one or in bulk, cancellations and credit notes.

`upsert_invoices` runs the ledger importer's own row path (portal.ledger.importer), so an
invoice sent through the API is validated, created, updated and settled exactly as the same
row in a CSV would be. All or nothing: one invalid invoice and nothing is written.
The caller commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from payments.money import MoneyError, is_known_currency, to_major
from portal import audit
from portal.extensions import db
from portal.ledger import importer
from portal.models import CreditNote, ImportRun, Invoice, utcnow

MAX_BULK = 1000


class InvoiceError(ValueError):
    """The change cannot be made; `errors` lists [{"field", "message"}]."""

    def __init__(self, message: str, errors: list[dict] | None = None, status: int = 422):
        super().__init__(message)
        self.errors = errors or []
        self.status = status


def _major(amount_minor: int | None, currency: str) -> str | None:
    if amount_minor is None:
        return None
    return str(to_major(amount_minor, currency))


def as_ledger_record(item: dict, default_currency: str) -> dict:
    """One API invoice as the ledger CSV row that says the same thing."""
    currency = (item.get("currency") or default_currency).upper()
    if not is_known_currency(currency):
        raise MoneyError(f"currency is not a known ISO 4217 code: {currency!r}")
    record = {
        "customer_id": item["customer_id"], "invoice_id": item["invoice_id"],
        "issue_date": item["issue_date"].isoformat(), "due_date": item["due_date"].isoformat(),
        "amount": _major(item["amount_minor"], currency), "currency": currency,
        "paid_date": item["paid_date"].isoformat() if item.get("paid_date") else None,
        "paid_amount": _major(item.get("paid_amount_minor"), currency),
        "disputed": "true" if item.get("disputed") else "false",
        "paperless": None if item.get("paperless") is None else str(item["paperless"]).lower(),
        "customer_name": item.get("customer_name"),
    }
    return {k: v for k, v in record.items() if v is not None}


def upsert_invoices(items: list[dict], *, source: str, default_currency: str,
                    today: date | None = None,
                    actor: tuple[str, int | None] = ("system", None)) -> list[tuple[Invoice, bool]]:
    """Create or update invoices by their billing-system id; [(invoice, created)] in order."""
    if len(items) > MAX_BULK:
        raise InvoiceError(f"at most {MAX_BULK} invoices per request",
                           [{"field": "invoices", "message": f"more than {MAX_BULK} items"}])
    today = today or utcnow().date()
    records, errors = [], []
    for index, item in enumerate(items):
        try:
            records.append((index, as_ledger_record(item, default_currency)))
        except MoneyError as exc:
            errors.append({"field": f"{index}.currency", "message": str(exc)})
    if errors:
        raise InvoiceError("some invoices are not valid", errors)
    ids = [record["invoice_id"].strip() for _, record in records]
    existing = set(db.session.scalars(select(Invoice.external_id)
                                      .where(Invoice.external_id.in_(ids))))
    run = ImportRun(source=source[:255])
    db.session.add(run)
    db.session.flush()
    report = importer.ImportReport()
    importer._import_batch(records, run.id, report, default_currency, today)
    if report.error_count:
        raise InvoiceError("some invoices are not valid", [
            {"field": f"{e['line']}", "message": e["error"]} for e in report.errors])
    db.session.flush()
    run.rows, run.status, run.finished_at = report.rows, "done", utcnow()
    run.invoices_created, run.invoices_updated = report.invoices_created, report.invoices_updated
    by_id = {inv.external_id: inv for inv in db.session.scalars(
        select(Invoice).where(Invoice.external_id.in_(ids)).execution_options(
            populate_existing=True))}
    audit.record(actor[0], actor[1], "invoices.upserted", run,
                 after={"created": report.invoices_created, "updated": report.invoices_updated})
    return [(by_id[i], i not in existing) for i in ids]


def cancel_invoice(invoice: Invoice, *, actor: tuple[str, int | None]) -> Invoice:
    """Cancel an open invoice nothing was paid on (a conditional update)."""
    changed = db.session.execute(
        update(Invoice).where(Invoice.id == invoice.id, Invoice.status == "open",
                              Invoice.paid_minor == 0)
        .values(status="cancelled", updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(invoice)
    if not changed:
        if invoice.status == "cancelled":
            return invoice
        raise InvoiceError("only an open invoice with nothing paid can be cancelled; issue a "
                           "credit note instead", [{"field": "status", "message":
                                                    f"invoice is {invoice.status}"}], 409)
    audit.record(actor[0], actor[1], "invoice.cancelled", invoice,
                 before={"status": "open"}, after={"status": "cancelled"})
    return invoice


def add_credit_note(invoice: Invoice, external_id: str, amount_minor: int, *,
                    reason: str | None, issued_on: date,
                    actor: tuple[str, int | None]) -> tuple[CreditNote, bool]:
    """Lower what is owed on `invoice` by a credit note; (note, created). A credit note's id
    is unique: sending the same one again returns it and changes nothing."""
    known = db.session.scalar(select(CreditNote).where(CreditNote.external_id == external_id))
    if known is not None:
        if known.invoice_id != invoice.id or known.amount_minor != amount_minor:
            raise InvoiceError("this credit note id was already used for another credit",
                               [{"field": "credit_note_id", "message": "already used"}], 409)
        return known, False
    locked = db.session.scalars(select(Invoice).where(Invoice.id == invoice.id)
                                .with_for_update()
                                .execution_options(populate_existing=True)).one()
    if locked.status != "open":
        raise InvoiceError("credit notes apply to open invoices",
                           [{"field": "invoice", "message": f"invoice is {locked.status}"}], 409)
    balance = locked.amount_minor - locked.paid_minor
    if not 0 < amount_minor <= balance:
        raise InvoiceError("the credit must be between 1 and the open balance",
                           [{"field": "amount_minor",
                             "message": f"must be between 1 and {balance}"}])
    before = {"amount_minor": locked.amount_minor, "status": locked.status}
    if amount_minor == locked.amount_minor:  # nothing paid, all credited
        locked.status = "cancelled"
    else:
        locked.amount_minor -= amount_minor
        if locked.paid_minor == locked.amount_minor:
            locked.status, locked.settled_on = "paid", issued_on
    note = CreditNote(external_id=external_id, invoice_id=locked.id, amount_minor=amount_minor,
                      currency=locked.currency, reason=reason, issued_on=issued_on)
    db.session.add(note)
    db.session.flush()
    audit.record(actor[0], actor[1], "invoice.credited", locked, before=before,
                 after={"amount_minor": locked.amount_minor, "status": locked.status,
                        "credit_note": external_id, "credit_minor": amount_minor})
    return note, True

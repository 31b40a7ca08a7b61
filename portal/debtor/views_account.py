"""The account overview, an invoice, its printable view."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from portal.auth import debtor_required
from portal.debtor import bp
from portal.debtor.account import (
    account_summary,
    applied_payments,
    own_invoice,
    view_invoice,
)
from portal.debtor.lines import open_lines, paid_lines
from portal.debtor.util import debtor_today, me, owned_or_404
from portal.extensions import db
from portal.models import Dispute


@bp.get("/account")
@debtor_required
def account():
    debtor = me()
    today = debtor_today(debtor)
    summary = account_summary(debtor, today)
    return render_template("debtor/account.html", debtor=debtor, summary=summary, today=today,
                           open_lines=open_lines(summary.open_invoices),
                           paid_lines=paid_lines(summary.paid_invoices),
                           disputes=summary.disputes)


def _invoice_context(invoice_id: int) -> dict:
    debtor = me()
    invoice = owned_or_404(own_invoice(debtor, invoice_id), debtor)
    today = debtor_today(debtor)
    disputes = db.session.scalars(
        select(Dispute).where(Dispute.invoice_id == invoice.id).order_by(Dispute.created_at)
    ).all()
    return {"debtor": debtor, "item": view_invoice(invoice, today), "invoice": invoice,
            "payments": applied_payments(invoice), "disputes": disputes, "today": today}


@bp.get("/invoices/<int:invoice_id>")
@debtor_required
def invoice(invoice_id: int):
    return render_template("debtor/invoice.html", **_invoice_context(invoice_id))


@bp.get("/invoices/<int:invoice_id>/print")
@debtor_required
def invoice_print(invoice_id: int):
    return render_template("debtor/invoice_print.html", **_invoice_context(invoice_id))

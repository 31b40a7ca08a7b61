"""Promise to pay and disputes (with their confirmation pages and attachments)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from payments.money import parse_typed_amount, to_major
from portal.auth import debtor_required
from portal.debtor import bp
from portal.debtor.account import own_invoice
from portal.debtor.forms import DisputeForm, PromiseForm
from portal.debtor.messages import dispute_error, promise_error
from portal.debtor.util import debtor_today, me, owned_or_404
from portal.extensions import db, limiter
from portal.models import Dispute, Invoice, PromiseToPay
from portal.operations.disputes import REASONS, DisputeError, attachment_file, open_dispute
from portal.operations.promises import PromiseError, make_promise, promise_bounds


@bp.route("/invoices/<int:invoice_id>/promise", methods=["GET", "POST"])
@debtor_required
@limiter.limit("20 per hour", methods=["POST"])
def promise(invoice_id: int):
    debtor = me()
    invoice = owned_or_404(own_invoice(debtor, invoice_id), debtor)
    if invoice.status != "open" or invoice.balance_minor <= 0:  # reached by an old link
        flash(_("This invoice has nothing left to pay, so there is nothing to promise."))
        return redirect(url_for("debtor.invoice", invoice_id=invoice.id))
    today = debtor_today(debtor)
    first, last = promise_bounds(today)
    form = PromiseForm()
    if not form.is_submitted():
        form.promised_on.data = min(last, first + timedelta(days=7))
        form.amount.data = str(to_major(invoice.balance_minor, invoice.currency))
    if form.validate_on_submit():
        amount = parse_typed_amount(form.amount.data, invoice.currency, debtor.locale or "es")
        if amount is None:
            form.amount.errors.append(promise_error("amount_format"))
        else:
            try:
                made = make_promise(invoice, form.promised_on.data, amount, today)
            except PromiseError as exc:
                field = form.amount if exc.code == "amount" else form.promised_on
                field.errors.append(promise_error(exc.code))
            else:
                db.session.commit()
                return redirect(url_for("debtor.promise_done", promise_id=made.id))
    status = 400 if form.is_submitted() else 200
    return render_template("debtor/promise.html", form=form, invoice=invoice, first=first,
                           last=last), status


@bp.get("/promises/<int:promise_id>")
@debtor_required
def promise_done(promise_id: int):
    debtor = me()
    made = owned_or_404(db.session.get(PromiseToPay, promise_id), debtor)
    return render_template("debtor/promise_done.html", promise=made, invoice=made.invoice)


@bp.route("/invoices/<int:invoice_id>/dispute", methods=["GET", "POST"])
@debtor_required
@limiter.limit("10 per hour", methods=["POST"])
def dispute(invoice_id: int):
    debtor = me()
    invoice = owned_or_404(own_invoice(debtor, invoice_id), debtor)
    form = DisputeForm()
    if not form.is_submitted() and request.args.get("reason") in REASONS:
        form.reason.data = request.args["reason"]  # "I already paid": from a reply's link
    if form.validate_on_submit():
        upload = form.attachment.data
        stream = upload.stream if upload and getattr(upload, "filename", "") else None
        try:
            opened = open_dispute(invoice, form.reason.data, form.message.data or "", stream)
        except DisputeError as exc:
            target = form.attachment if exc.code in ("too_large", "file_type") else form.reason
            target.errors = [*target.errors, dispute_error(exc.code)]
        else:
            db.session.commit()
            return redirect(url_for("debtor.dispute_done", dispute_id=opened.id))
    status = 400 if form.is_submitted() else 200
    return render_template("debtor/dispute.html", form=form, invoice=invoice), status


@bp.get("/dispute")
@debtor_required
def dispute_pick():
    debtor = me()
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.debtor_id == debtor.id, Invoice.status == "open",
                              Invoice.disputed.is_(False))
        .order_by(Invoice.due_on, Invoice.id)).all()
    return render_template("debtor/dispute_pick.html", invoices=invoices)


@bp.get("/disputes/<int:dispute_id>")
@debtor_required
def dispute_done(dispute_id: int):
    debtor = me()
    opened = owned_or_404(db.session.get(Dispute, dispute_id), debtor)
    return render_template("debtor/dispute_done.html", dispute=opened, invoice=opened.invoice)


@bp.get("/disputes/<int:dispute_id>/attachment")
@debtor_required
def dispute_attachment(dispute_id: int):
    debtor = me()
    opened = owned_or_404(db.session.get(Dispute, dispute_id), debtor)
    path = attachment_file(opened)
    if path is None:
        abort(404)
    ext = path.rsplit(".", 1)[-1]
    response = send_file(path, mimetype=opened.attachment_mime, as_attachment=True,
                         download_name=f"dispute-{opened.id}.{ext}", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # a personal document
    return response

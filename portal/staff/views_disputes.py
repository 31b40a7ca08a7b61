"""The dispute queue: open disputes oldest first, and the resolve form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from payments.money import MoneyError, to_minor
from portal.auth import current_staff
from portal.extensions import db
from portal.models import Dispute
from portal.operations.disputes import ResolutionError, resolve_dispute
from portal.staff import bp
from portal.staff.access import role_required
from portal.staff.notify import notify_debtor
from portal.staff.views_debtors import money


@bp.route("/disputes")
@role_required("disputes")
def disputes():
    status = request.args.get("status", "open")
    query = select(Dispute)
    if status in ("open", "accepted", "rejected"):
        query = query.where(Dispute.status == status)
    order = Dispute.created_at.asc() if status == "open" else Dispute.resolved_at.desc()
    rows = db.session.scalars(query.order_by(order).limit(500)).all()
    return render_template("staff/disputes.html", disputes=rows, status=status, money=money)


@bp.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
@role_required("disputes")
def dispute(dispute_id: int):
    item = db.session.get(Dispute, dispute_id) or abort(404)
    error = None
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            amount = _amount(request.form.get("amount", ""), item.invoice.currency) \
                if action == "adjust" else None
            resolve_dispute(item, current_staff(), action, request.form.get("note", ""), amount)
        except ResolutionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            problem = notify_debtor(item)  # queued in the same transaction as the outcome
            db.session.commit()
            if problem:
                flash(_("Dispute resolved, but the debtor could not be emailed: %(p)s",
                        p=problem), "warning")
            else:
                flash(_("Dispute resolved; the debtor was told by email."), "success")
            return redirect(url_for("staff.disputes"))
    return render_template("staff/dispute.html", dispute=item, money=money, error=error,
                           form=request.form), 400 if error else 200


def _amount(raw: str, currency: str) -> int:
    try:
        return to_minor(raw.strip().replace(",", ""), currency)
    except MoneyError as exc:
        raise ResolutionError(_("Enter the corrected amount as a number, like 1250.50.")) \
            from exc


@bp.route("/disputes/<int:dispute_id>/attachment")
@role_required("disputes")
def dispute_attachment(dispute_id: int):
    from portal.operations.disputes import attachment_file

    item = db.session.get(Dispute, dispute_id) or abort(404)
    path = attachment_file(item) if item.attachment_path else None
    if path is None:
        abort(404)
    return send_file(path, mimetype=item.attachment_mime, as_attachment=True,
                     download_name=f"dispute-{item.id}{_suffix(path)}")


def _suffix(path: str) -> str:
    import os

    return os.path.splitext(path)[1]

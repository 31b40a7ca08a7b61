"""Agents record a promise to pay made by phone, or cancel one, from the debtor's page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from payments.money import MoneyError, to_minor
from portal.audit import record
from portal.auth import current_staff
from portal.extensions import db
from portal.models import Debtor, Invoice, PromiseToPay
from portal.staff import bp
from portal.staff.access import role_required


def _promise_error(code: str) -> str:
    return {
        "closed": _("That invoice has nothing left to pay."),
        "disputed": _("That invoice is disputed: resolve the dispute first."),
        "too_early": _("The promised date cannot be in the past."),
        "too_late": _("The promised date is beyond the promise window of the alert policy."),
        "amount": _("The amount must be more than zero and at most the balance."),
    }.get(code, _("The promise could not be recorded."))


@bp.route("/debtors/<int:debtor_id>/promises", methods=["POST"])
@role_required("disputes")
def promise_record(debtor_id: int):
    from portal.operations.promises import PromiseError, make_promise

    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    invoice = db.session.get(Invoice, request.form.get("invoice_id", type=int) or 0)
    if invoice is None or invoice.debtor_id != debtor.id:
        abort(404)
    back = redirect(url_for("staff.debtor", debtor_id=debtor.id))
    try:
        promised_on = date.fromisoformat(request.form.get("promised_on", ""))
        amount = to_minor(request.form.get("amount", "").strip().replace(",", ""),
                          invoice.currency)
    except (ValueError, MoneyError):
        flash(_("Enter a date and an amount like 1250.50."), "error")
        return back
    try:
        promise = make_promise(invoice, promised_on, amount, datetime.now(UTC).date())
    except PromiseError as exc:
        db.session.rollback()
        flash(_promise_error(exc.code), "error")
        return back
    record("staff", current_staff().id, "promise.recorded", promise,
           after={"invoice": invoice.external_id, "promised_on": promised_on.isoformat(),
                  "amount_minor": amount, "channel": "phone"})
    db.session.commit()
    flash(_("Promise recorded: reminders for this invoice wait until %(day)s.",
            day=promised_on.isoformat()), "success")
    return back


@bp.route("/promises/<int:promise_id>/cancel", methods=["POST"])
@role_required("disputes")
def promise_cancel(promise_id: int):
    promise = db.session.get(PromiseToPay, promise_id) or abort(404)
    if promise.status == "open":
        promise.status, promise.resolved_at = "cancelled", datetime.now(UTC)
        record("staff", current_staff().id, "promise.cancelled", promise,
               before={"status": "open"}, after={"status": "cancelled"})
        db.session.commit()
        flash(_("Promise cancelled; reminders resume."), "success")
    else:
        flash(_("Only an open promise can be cancelled."), "error")
    return redirect(url_for("staff.debtor", debtor_id=promise.debtor_id))

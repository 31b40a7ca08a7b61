"""Payments in the console: the payment issues list, a payment's page, and refunds
(reviewed, then confirmed; admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from payments.gateway import GatewayError, GatewayUnavailable
from payments.money import MoneyError, to_minor
from payments.refunds import RefundBusy, RefundError, refund_payment, refundable_minor
from portal.auth import current_staff
from portal.extensions import db, limiter
from portal.models import Payment, PaymentIssue
from portal.staff import bp
from portal.staff.access import can, role_required
from portal.staff.payments import (
    ACTION_LABELS,
    ISSUE_LABELS,
    IssueError,
    chargebacks_of,
    issues,
    issues_of,
    refund_preview,
    resolve_issue,
)
from portal.staff.views_debtors import money


@bp.route("/payments/issues")
@role_required("payments")
def payment_issues():
    status = request.args.get("status", "open")
    return render_template("staff/payment_issues.html", issues=issues(status), status=status,
                           labels=ISSUE_LABELS, actions=ACTION_LABELS, money=money)


@bp.post("/payments/issues/<int:issue_id>/resolve")
@role_required("payments")
def payment_issue_resolve(issue_id: int):
    issue = db.session.get(PaymentIssue, issue_id) or abort(404)
    try:
        resolve_issue(issue, current_staff())
    except IssueError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("Issue marked handled."), "success")
    return redirect(url_for("staff.payment_issues"))


def _page(payment: Payment, status: int = 200, **extra):
    return render_template(
        "staff/payment.html", payment=payment, money=money, labels=ISSUE_LABELS,
        actions=ACTION_LABELS, chargebacks=chargebacks_of(payment), issues=issues_of(payment),
        refundable=refundable_minor(payment), may_refund=can(current_staff(), "refunds"),
        **extra), status


@bp.route("/payments/<int:payment_id>")
@role_required("payments")
def payment(payment_id: int):
    return _page(db.session.get(Payment, payment_id) or abort(404))


@bp.post("/payments/<int:payment_id>/refund")
@role_required("refunds")
@limiter.limit("30 per hour")
def payment_refund(payment_id: int):
    """Step 1 (no `confirm`): check the amount and show what the refund reopens. Step 2
    (`confirm`, with the figures that were shown): refund at Stripe, then the ledger."""
    item = db.session.get(Payment, payment_id) or abort(404)
    left = refundable_minor(item)
    try:
        amount = _amount(request.form, item, left)
    except RefundError as exc:
        return _page(item, 400, error=str(exc), typed=request.form.get("amount", ""))
    if request.form.get("confirm") != "1":
        return render_template("staff/refund_confirm.html", payment=item, amount=amount,
                               preview=refund_preview(item, amount), money=money,
                               full=amount == left)
    try:
        released = refund_payment(item, amount, staff_id=current_staff().id,
                                  expected_refunded=_int(request.form.get("expected_refunded")))
    except RefundBusy:
        return _page(item, 409, error=_("Another refund of this payment is in progress. "
                                        "Wait a moment and reload the page."))
    except RefundError:
        db.session.rollback()
        return _page(item, 409, error=_("The payment changed since you reviewed the refund. "
                                        "Nothing was refunded; review it again."))
    except (GatewayUnavailable, GatewayError):
        return _page(item, 503, error=_("Stripe could not be reached or refused the refund. "
                                        "Nothing was refunded; try again later."))
    flash(_("Refunded %(amount)s to the card; %(reopened)s reopened on invoices.",
            amount=money(amount, item.currency), reopened=money(released, item.currency)),
          "success")
    return redirect(url_for("staff.payment", payment_id=item.id))


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _amount(form, payment: Payment, left: int) -> int:
    """The amount to refund in minor units: 'full', a typed amount in major units, or (on
    the confirmation) the minor units that were reviewed."""
    if left <= 0:
        raise RefundError(_("This payment has nothing left to refund."))
    if form.get("confirm") == "1":
        amount = _int(form.get("amount_minor"))
    elif form.get("scope") == "full":
        amount = left
    else:
        try:
            amount = to_minor(form.get("amount", "").strip().replace(",", ""),
                              payment.currency)
        except MoneyError:
            amount = None
    if amount is None or not 0 < amount <= left:
        raise RefundError(_("Enter an amount between %(low)s and %(high)s.",
                            low=money(1, payment.currency), high=money(left, payment.currency)))
    return amount

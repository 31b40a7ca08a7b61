"""Debtor plan pages: compare offers, accept with one bank check (the first instalment and
the saved card in one confirmation), see the schedule, pay an instalment early, replace the
card."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from payments import plan_accept as accepting
from payments import plan_picker, plan_service
from payments.gateway import GatewayError, GatewayUnavailable
from payments.views import (
    bp,
    decline_message,
    gateway_errors,
    json_error,
    stripe_page,
    unavailable_message,
)
from portal.audit import record
from portal.auth import current_debtor, debtor_required
from portal.extensions import db, limiter
from portal.models import Installment, PaymentPlan, utcnow


def own_plan(plan_id: int) -> PaymentPlan:
    plan = db.session.get(PaymentPlan, plan_id)
    debtor = current_debtor()
    if plan is None or debtor is None or plan.debtor_id != debtor.id:
        abort(404)
    return plan


@bp.get("/plans")
@debtor_required
def plans():
    debtor = current_debtor()
    existing = list(db.session.scalars(select(PaymentPlan).where(
        PaymentPlan.debtor_id == debtor.id, PaymentPlan.status.in_(("active", "completed",
                                                                    "broken")))
        .order_by(PaymentPlan.created_at.desc())))
    picker = plan_picker.plan_picker(debtor, utcnow().date())
    return stripe_page("payments/plans.html", picker=picker,
                       offers=picker.shown + picker.others, existing=existing)


@bp.post("/plans/accept")
@limiter.limit("20 per hour")
@debtor_required
@gateway_errors
def plan_accept():
    plan = accepting.create_plan(current_debtor(), request.form.get("offer", ""),
                                    utcnow().date())
    return jsonify({"confirm": url_for("payments.plan_activate", plan_id=plan.id)})


def plan_start_json(start: accepting.PlanStart):
    plan = start.plan
    if start.status == "requires_action":
        return jsonify({"status": "requires_action", "client_secret": start.client_secret,
                        "action": start.action,
                        "complete": url_for("payments.plan_complete", plan_id=plan.id)})
    if start.status == "failed":
        return json_error(decline_message(start.code), 402, retry=True)
    return jsonify({"status": plan.status,
                    "redirect": url_for("payments.plan_detail", plan_id=plan.id)})


@bp.post("/plans/<int:plan_id>/activate")
@limiter.limit("30 per hour")
@debtor_required
@gateway_errors
def plan_activate(plan_id: int):
    return plan_start_json(accepting.activate_plan(
        own_plan(plan_id), request.form.get("payment_method", ""), utcnow().date()))


@bp.post("/plans/<int:plan_id>/complete")
@limiter.limit("30 per hour")
@debtor_required
@gateway_errors
def plan_complete(plan_id: int):
    """After the bank's check: the first instalment (or the saved card) is read again."""
    return plan_start_json(accepting.complete_plan_start(
        own_plan(plan_id), request.form.get("setup_intent") or None))


@bp.get("/plans/<int:plan_id>")
@debtor_required
def plan_detail(plan_id: int):
    plan = own_plan(plan_id)
    return stripe_page("payments/plan_detail.html", plan=plan,
                       progress=plan_service.plan_progress(plan))


@bp.post("/plans/<int:plan_id>/installments/<int:seq>/pay")
@limiter.limit("10 per hour")
@debtor_required
def plan_pay_early(plan_id: int, seq: int):
    plan = own_plan(plan_id)
    installment = db.session.scalar(select(Installment).where(
        Installment.plan_id == plan.id, Installment.seq == seq))
    if installment is None or plan.status != "active" or installment.status == "paid":
        abort(404)
    record("debtor", plan.debtor_id, "plan.pay_early", plan, after={"installment": seq})
    db.session.commit()
    try:
        outcome = plan_service.charge_installment(installment, utcnow().date())
    except (GatewayError, GatewayUnavailable):
        db.session.rollback()
        current_app.logger.exception("Stripe refused an early instalment payment")
        flash(_("The payment could not be processed. Nothing was charged."))
        return redirect(url_for("payments.plan_detail", plan_id=plan.id))
    if outcome == "paid":
        flash(_("Thank you! Instalment %(seq)s is paid.", seq=seq))
    elif outcome == "unavailable":
        flash(unavailable_message())
    elif outcome in ("failed", "broken"):
        flash(decline_message(installment.last_error))
    return redirect(url_for("payments.plan_detail", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/card")
@limiter.limit("20 per hour")
@debtor_required
@gateway_errors
def plan_card_start(plan_id: int):
    plan = own_plan(plan_id)
    if plan.status != "active":
        abort(404)
    return jsonify({"client_secret": plan_service.card_setup_secret(plan),
                    "confirm": url_for("payments.plan_card_confirm", plan_id=plan.id)})


@bp.post("/plans/<int:plan_id>/card/confirm")
@limiter.limit("30 per hour")
@debtor_required
@gateway_errors
def plan_card_confirm(plan_id: int):
    plan = own_plan(plan_id)
    if plan.status != "active":  # a finished, broken or cancelled plan charges no card
        abort(404)
    plan_service.replace_card(plan, request.form.get("setup_intent", ""))
    flash(_("Your new card will be used for the next instalments."))
    return jsonify({"status": "ok",
                    "redirect": url_for("payments.plan_detail", plan_id=plan.id)})

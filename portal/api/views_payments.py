"""/api/v1/payments: payments made outside Saldo (transfer, cash, other); read and list all."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from payments.external import ExternalPaymentError, record_external_payment
from portal.api import bp
from portal.api.auth import actor, require
from portal.api.idempotency import transactional
from portal.api.pagination import page
from portal.api.problems import ApiProblem
from portal.api.schemas import ListArgs, PaymentIn, PaymentOut, page_schema
from portal.api.views_debtors import debtor_or_404
from portal.extensions import db
from portal.models import Invoice, Payment, utcnow

PaymentPage = page_schema(PaymentOut, "PaymentPage")


@bp.route("/payments", methods=["POST"])
@require("write")
@transactional
@bp.arguments(PaymentIn)
@bp.response(201, PaymentOut, description="Recorded")
@bp.alt_response(200, schema=PaymentOut, description="Already recorded with this reference")
def record_payment(data: dict):
    """Record a payment received outside Saldo; it is allocated like a card payment."""
    debtor = debtor_or_404(data["customer_id"])
    invoice = None
    if data.get("invoice_id"):
        invoice = db.session.scalar(select(Invoice).where(
            Invoice.external_id == data["invoice_id"]))
        if invoice is None:
            raise ApiProblem(422, "No such invoice.", slug="validation-error",
                             errors=[{"field": "invoice_id", "message": "unknown invoice"}])
    try:
        payment, created = record_external_payment(
            debtor, amount_minor=data["amount_minor"], currency=data["currency"].upper(),
            method=data["method"], reference=data["reference"],
            received_on=data.get("received_on") or utcnow().date(), invoice=invoice,
            actor=actor())
    except ExternalPaymentError as exc:
        raise ApiProblem(exc.status, str(exc), slug="validation-error",
                         errors=[{"field": exc.field, "message": str(exc)}]) from exc
    return payment, 201 if created else 200


@bp.route("/payments", methods=["GET"])
@require("read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, PaymentPage)
def list_payments(args: dict):
    """All payments: card, plan instalments, imported and external (cursor pagination)."""
    return page(Payment, args, debtor_column=Payment.debtor_id)


@bp.route("/payments/<int(max=2147483647):payment_id>", methods=["GET"])
@require("read")
@bp.response(200, PaymentOut)
def get_payment(payment_id: int):
    """One payment by Saldo's id."""
    payment = db.session.get(Payment, payment_id)
    return payment if payment is not None else abort(404)

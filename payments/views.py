"""Debtor payment pages: pay now (card Element → PaymentMethod → one PaymentIntent).

Views parse the request and call `payments.checkout`; amounts always come from the server.
The JSON endpoints are called by `static/js/pay.js` with the CSRF token in a header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from payments import checkout
from payments.balances import open_balances, open_invoices
from payments.errors import failure_message, js_kinds, js_messages
from payments.gateway import GatewayError, GatewayUnavailable
from portal.auth import current_debtor, debtor_required
from portal.extensions import db, limiter
from portal.models import Payment
from portal.security import content_security_policy

bp = Blueprint("payments", __name__)


@bp.after_request
def _no_store(response):
    """Payment pages show amounts, receipts and plans: never kept in any cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def decline_message(code: str | None) -> str:
    """A clear, translated sentence for a failure code (see `payments.errors`)."""
    return failure_message(code)


def unavailable_message(code: str | None = None) -> str:
    return failure_message(code or "api_connection_error")


def stripe_csp() -> str:
    """The page's CSP with Stripe.js (and its API and frames) allowed."""
    parts = urlsplit(current_app.config["STRIPE_JS_URL"])
    origin = f"{parts.scheme}://{parts.netloc}"
    extra = {origin}
    api = current_app.config.get("STRIPE_API_BASE")
    extra.add(api.rstrip("/") if api else "https://api.stripe.com")
    frames = {origin} if api else {origin, "https://hooks.stripe.com"}
    return content_security_policy(" ".join(sorted(extra)), " ".join(sorted(frames)))


def stripe_page(template: str, **context):
    response = current_app.make_response(render_template(
        template, stripe_js_url=current_app.config["STRIPE_JS_URL"],
        stripe_key=current_app.config["STRIPE_PUBLISHABLE_KEY"], error_messages=js_messages(),
        error_kinds=js_kinds(), **context))
    response.headers["Content-Security-Policy"] = stripe_csp()
    return response


def json_error(message: str, status: int, **extra):
    return jsonify({"error": str(message), **extra}), status


def own_payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    debtor = current_debtor()
    if payment is None or debtor is None or payment.debtor_id != debtor.id:
        abort(404)
    return payment


def outcome_json(outcome: checkout.Outcome):
    payment = outcome.payment
    if outcome.status == "succeeded":
        return jsonify({"status": "succeeded",
                        "redirect": url_for("payments.pay_result", payment_id=payment.id)})
    if outcome.status == "requires_action":
        return jsonify({"status": "requires_action", "client_secret": outcome.client_secret,
                        "complete": url_for("payments.pay_complete", payment_id=payment.id)})
    if outcome.status == "failed":
        return json_error(decline_message(outcome.decline_code), 402, retry=True)
    return jsonify({"status": "pending",
                    "redirect": url_for("payments.pay_result", payment_id=payment.id)})


def gateway_errors(view):
    """Stripe down or refusing: a clear "try again" and nothing recorded as paid."""
    from functools import wraps

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except GatewayUnavailable as exc:
            db.session.rollback()
            return json_error(unavailable_message(exc.code), 503, retry=True)
        except GatewayError:
            db.session.rollback()
            current_app.logger.exception("Stripe refused a request")
            return json_error(_("The payment could not be processed. Nothing was charged."),
                              502, retry=True)
        except checkout.PaymentBusy as exc:
            return json_error(str(exc), 409)
        except checkout.PaymentInputError as exc:
            return json_error(str(exc), 400)

    return wrapper


@bp.get("/pay")
@debtor_required
def pay_form():
    debtor = current_debtor()
    invoices = open_invoices(debtor)
    chosen = next((i for i in invoices if i.external_id == request.args.get("invoice")), None)
    last = db.session.scalar(select(Payment).where(Payment.debtor_id == debtor.id)
                             .order_by(Payment.id.desc()).limit(1))
    last_failure = (decline_message(last.failure_code) if last is not None
                    and last.status == "failed" and last.failure_code != "abandoned" else None)
    return stripe_page("payments/pay.html", invoices=invoices, chosen=chosen,
                       balances=open_balances(debtor), last_failure=last_failure,
                       minimum=current_app.config["PAYMENT_MIN_MINOR"])


@bp.post("/pay/start")
@limiter.limit("20 per hour")
@debtor_required
@gateway_errors
def pay_start():
    debtor = current_debtor()
    form = request.form
    amount, currency, invoice = checkout.payment_amount(
        debtor, form.get("choice", ""), invoice_ref=form.get("invoice"),
        amount_text=form.get("amount"), currency=form.get("currency"),
        minimum_minor=current_app.config["PAYMENT_MIN_MINOR"])
    payment = checkout.start_payment(debtor, amount, currency, invoice)
    return jsonify({"confirm": url_for("payments.pay_confirm", payment_id=payment.id)})


@bp.post("/pay/<int:payment_id>/confirm")
@limiter.limit("30 per hour")
@debtor_required
@gateway_errors
def pay_confirm(payment_id: int):
    payment = own_payment(payment_id)
    return outcome_json(checkout.charge_payment(payment, request.form.get("payment_method"),
                                                save_card=request.form.get("save_card") == "1"))


@bp.post("/pay/<int:payment_id>/complete")
@limiter.limit("30 per hour")
@debtor_required
@gateway_errors
def pay_complete(payment_id: int):
    return outcome_json(checkout.complete_payment(own_payment(payment_id)))


@bp.get("/pay/<int:payment_id>")
@debtor_required
def pay_result(payment_id: int):
    payment = own_payment(payment_id)
    return render_template("payments/result.html", payment=payment,
                           failure=decline_message(payment.failure_code)
                           if payment.status == "failed" else None)


from payments import views_plans  # noqa: E402,F401  (registers the plan routes)

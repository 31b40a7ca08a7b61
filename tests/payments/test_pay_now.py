"""Pay now against localstripe: success, charge-time decline, 3-D Secure, amounts, access."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Invoice, Payment
from tests.factories import deliver, make_debtor, make_invoice, sign_in
from tests.payments.helpers import (
    CARD_3DS,
    CARD_DECLINE_AT_CHARGE,
    authenticate_3ds,
    csrf_token,
    pay,
    start_payment,
)


def _debtor_with_two_invoices():
    debtor = make_debtor(email="ana@example.com", locale="es_CO")
    older = make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=100_000_00)
    newer = make_invoice(debtor, issued_on=date(2026, 10, 1), amount_minor=50_000_00)
    db.session.commit()
    return debtor, older, newer


def test_pay_whole_balance_succeeds_closes_invoices_and_emails_receipt(
        stripe_app, client, smtp_server):
    debtor, older, newer = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.status_code == 200
    assert response.get_json()["status"] == "succeeded"
    payment = db.session.scalar(select(Payment))
    assert (payment.status, payment.amount_minor) == ("succeeded", 150_000_00)
    assert payment.stripe_payment_intent_id.startswith("pi_")
    for invoice in (older, newer):
        db.session.refresh(invoice)
        assert (invoice.status, invoice.balance_minor) == ("paid", 0)
    page = client.get(response.get_json()["redirect"]).get_data(as_text=True)
    assert re.search(r"\$\xa0150\.000(?![,\d])", page)
    deliver()
    assert len(smtp_server.messages) == 1
    receipt = smtp_server.messages[0]
    assert receipt["To"] == "ana@example.com"
    assert "Recibo" in receipt["Subject"]
    assert re.search(r"\$\xa0150\.000(?![,\d])", receipt.get_content())
    from babel.dates import format_date

    assert format_date(payment.received_on, "long", locale="es_CO") in receipt.get_content()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.succeeded"))


def test_partial_amount_goes_to_oldest_invoice_first(stripe_app, client):
    debtor, older, newer = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, _ = pay(client, choice="amount", amount="120.000")
    assert response.get_json()["status"] == "succeeded"
    db.session.refresh(older)
    db.session.refresh(newer)
    assert (older.status, older.paid_minor) == ("paid", 100_000_00)
    assert (newer.status, newer.balance_minor) == ("open", 30_000_00)


def test_one_chosen_invoice_is_paid_even_if_not_the_oldest(stripe_app, client):
    debtor, older, newer = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, _ = pay(client, choice="invoice", invoice=newer.external_id)
    assert response.get_json()["status"] == "succeeded"
    db.session.refresh(older)
    db.session.refresh(newer)
    assert newer.status == "paid" and older.paid_minor == 0


def test_charge_time_decline_shows_translated_message_and_allows_another_try(
        stripe_app, client):
    debtor, older, _ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, _ = pay(client, CARD_DECLINE_AT_CHARGE)
    assert response.status_code == 402
    body = response.get_json()
    assert body["retry"] is True
    assert "rechazada" in body["error"]  # es: "Tu tarjeta fue rechazada…"
    failed = db.session.scalar(select(Payment))
    assert failed.status == "failed" and failed.failure_code == "card_declined"
    db.session.refresh(older)
    assert older.paid_minor == 0
    again, _ = pay(client)
    assert again.get_json()["status"] == "succeeded"
    assert db.session.scalar(select(Invoice).where(Invoice.id == older.id)).status == "paid"


def test_three_d_secure_is_finished_by_the_browser_then_recorded(stripe_app, client):
    debtor, older, newer = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, token = pay(client, CARD_3DS)
    body = response.get_json()
    assert body["status"] == "requires_action" and body["client_secret"].startswith("pi_")
    assert db.session.scalar(select(Payment)).status == "pending"
    authenticate_3ds(body["client_secret"])
    done = client.post(body["complete"], headers={"X-CSRFToken": token})
    assert done.get_json()["status"] == "succeeded"
    db.session.refresh(newer)
    assert newer.status == "paid"


def test_failed_three_d_secure_is_a_clear_decline(stripe_app, client):
    debtor, older, _ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response, token = pay(client, CARD_3DS)
    body = response.get_json()
    authenticate_3ds(body["client_secret"], success=False)
    done = client.post(body["complete"], headers={"X-CSRFToken": token})
    assert done.status_code == 402
    assert db.session.scalar(select(Payment)).failure_code == (
        "payment_intent_authentication_failure")


def test_amounts_are_computed_and_checked_on_the_server(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    token = csrf_token(client)
    too_much = start_payment(client, token, choice="amount", amount="150.000,01")
    assert too_much.status_code == 400 and "saldo" in too_much.get_json()["error"]
    too_little = start_payment(client, token, choice="amount", amount="0.5")
    assert too_little.status_code == 400
    for junk in ("1e5", "-5", "abc", "150000.01"):
        response = start_payment(client, token, choice="amount", amount=junk)
        assert response.status_code == 400, junk
    typed = start_payment(client, token, choice="amount", amount="120.000,50")
    assert typed.status_code == 200
    assert db.session.scalar(select(Payment)).amount_minor == 120_000_50
    ignored = start_payment(client, token, choice="balance", amount="1")
    assert ignored.status_code == 200
    assert db.session.scalars(select(Payment).order_by(Payment.id.desc())).first(
    ).amount_minor == 150_000_00


def test_another_debtors_payment_or_invoice_is_not_reachable(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    stranger = make_debtor()
    theirs = make_invoice(stranger)
    their_payment = Payment(debtor=stranger, amount_minor=100, currency="COP", method="card",
                            status="pending", refunded_minor=0)
    db.session.add(their_payment)
    db.session.commit()
    sign_in(client, debtor)
    token = csrf_token(client)
    response = start_payment(client, token, choice="invoice", invoice=theirs.external_id)
    assert response.status_code == 400
    confirm = client.post(f"/pay/{their_payment.id}/confirm", data={"payment_method": "pm_x"},
                          headers={"X-CSRFToken": token})
    assert confirm.status_code == 404
    assert client.get(f"/pay/{their_payment.id}").status_code == 404


def test_posting_without_csrf_token_is_refused(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    assert client.post("/pay/start", data={"choice": "balance"}).status_code == 400
    assert db.session.scalar(select(Payment)) is None


def test_pay_page_allows_stripe_js_in_its_content_security_policy(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    response = client.get("/pay")
    policy = response.headers["Content-Security-Policy"]
    origin = stripe_app.config["STRIPE_API_BASE"]
    assert f"script-src 'self' {origin}" in policy
    assert stripe_app.config["STRIPE_JS_URL"] in response.get_data(as_text=True)


def test_a_failed_payment_is_shown_on_the_next_visit(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    pay(client, CARD_DECLINE_AT_CHARGE)
    page = client.get("/pay").get_data(as_text=True)
    assert 'data-testid="last-failure"' in page and "rechazada" in page


def test_the_gateway_talks_to_real_stripe_when_no_api_base_is_set(app):
    from payments.gateway import StripeGateway
    from payments.views import stripe_csp

    gateway = StripeGateway.from_config({**app.config, "STRIPE_API_BASE": ""})
    assert gateway.client._requestor.base_addresses["api"] == "https://api.stripe.com"
    local = StripeGateway.from_config({**app.config, "STRIPE_API_BASE": "http://127.0.0.1:1"})
    assert local.client._requestor.base_addresses["api"] == "http://127.0.0.1:1"
    app.config.update(STRIPE_API_BASE="", STRIPE_JS_URL="https://js.stripe.com/v3/")
    with app.test_request_context():
        policy = stripe_csp()
    assert "script-src 'self' https://api.stripe.com https://js.stripe.com" in policy
    assert "frame-src https://hooks.stripe.com https://js.stripe.com" in policy


def test_a_customer_stripe_no_longer_knows_is_created_again(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    debtor.stripe_customer_id = "cus_wiped"
    db.session.commit()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.get_json()["status"] == "succeeded"
    db.session.refresh(debtor)
    assert debtor.stripe_customer_id.startswith("cus_") and debtor.stripe_customer_id != (
        "cus_wiped")


def test_starting_payments_is_rate_limited(stripe_app, client):
    debtor, *_ = _debtor_with_two_invoices()
    sign_in(client, debtor)
    token = csrf_token(client)
    statuses = [start_payment(client, token).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_a_balance_paid_meanwhile_is_not_charged_again(stripe_app, client):
    from tests.factories import make_payment
    from tests.payments.helpers import create_card

    debtor, older, newer = _debtor_with_two_invoices()
    sign_in(client, debtor)
    token = csrf_token(client)
    body = start_payment(client, token).get_json()
    card = create_card("4242424242424242")
    make_payment(older)  # a bank transfer for the older invoice arrives meanwhile
    db.session.commit()
    response = client.post(body["confirm"], data={"payment_method": card},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and "cambió" in response.get_json()["error"]
    card = db.session.scalar(select(Payment).where(Payment.method == "card"))
    assert (card.status, card.failure_code, card.stripe_payment_intent_id) == (
        "failed", "balance_changed", None)


def test_payment_pages_are_never_cached(app, client):
    """Amounts, receipts and plans are personal: a shared phone's cache must not keep them."""
    from tests.factories import make_payment

    debtor, older, _ = _debtor_with_two_invoices()
    payment = make_payment(older, 10_000_00)
    db.session.commit()
    sign_in(client, debtor)
    for url in ("/pay", "/plans", f"/pay/{payment.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url


def test_dispute_attachment_is_never_cached(app, client):
    from portal.operations.disputes import open_dispute

    debtor, older, _ = _debtor_with_two_invoices()
    import io

    dispute = open_dispute(older, "other", "", io.BytesIO(b"%PDF-1.4 test"))
    db.session.commit()
    sign_in(client, debtor)
    download = client.get(f"/disputes/{dispute.id}/attachment")
    assert download.status_code == 200
    assert "no-store" in download.headers["Cache-Control"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()

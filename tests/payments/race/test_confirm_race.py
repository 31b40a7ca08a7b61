"""One charge per payment: parallel confirms of one payment charge the card once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from payments.gateway import gateway
from portal.extensions import db
from portal.models import Debtor, Invoice, Payment, PaymentAllocation
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.helpers import CARD_OK, create_card, csrf_token, start_payment
from tests.payments.race.conftest import ATTEMPTS, browser_cookie, in_parallel, post, report


def succeeded_charges(customer_id: str) -> int:
    charges = gateway().client.v1.charges.list({"customer": customer_id, "limit": 100})
    return sum(1 for charge in charges.data if charge.status == "succeeded")


def test_parallel_confirms_of_one_payment_charge_the_card_once(
        stripe_app, live_server_url, client, database_url):
    debtor = make_debtor(email="ana@example.com", locale="es_CO")
    invoice = make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=663_500_00,
                           currency="COP")
    db.session.commit()
    debtor_id, invoice_id = debtor.id, invoice.id
    sign_in(client, debtor)
    token = csrf_token(client)
    started = start_payment(client, token).get_json()
    method_id = create_card(CARD_OK)
    cookie = browser_cookie(client)

    def confirm(_):
        response = post(live_server_url + started["confirm"], cookie=cookie, token=token,
                        data={"payment_method": method_id, "save_card": "0"})
        return response.status_code, response.json()

    results = in_parallel(ATTEMPTS, confirm)
    customer = db.session.get(Debtor, debtor_id).stripe_customer_id
    charges = succeeded_charges(customer)
    report("confirm", database_url, attempts=ATTEMPTS, charges=charges)
    assert charges == 1
    statuses = sorted(result[0] for result in results)
    assert set(statuses) <= {200, 409}, results
    succeeded = [body for status, body in results if status == 200]
    assert succeeded and all(body["status"] == "succeeded" for body in succeeded)
    busy = [body for status, body in results if status == 409]
    assert all(body["error"] == "Este pago ya se está procesando. Espera un momento y "
               "revisa el resultado; no se cobró de nuevo." for body in busy)
    payment = db.session.scalar(select(Payment).where(Payment.debtor_id == debtor_id))
    assert payment.status == "succeeded"
    allocated = db.session.scalar(select(func.sum(PaymentAllocation.amount_minor)))
    assert allocated == 663_500_00
    assert db.session.get(Invoice, invoice_id).status == "paid"

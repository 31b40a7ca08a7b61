"""One bank check per payment (issue 17, part 1), against localstripe (payments.devstripe).

A one-off payment is one PaymentIntent confirmed with the card: no SetupIntent, and
`setup_future_usage` only when the debtor saves the card. A plan's first instalment and the
saving of its card are one confirmation; later instalments are charged off-session.
"""

from __future__ import annotations

from datetime import date, timedelta

import requests
from flask import current_app
from sqlalchemy import select

from alerts.settings import save_settings
from payments import jobs
from portal.extensions import db
from portal.models import Debtor, Invoice, Payment, PaymentPlan
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.helpers import (
    CARD_3DS,
    CARD_OK,
    authenticate_3ds,
    create_card,
    csrf_token,
    pay,
)

CARD_3DS_ONCE = "4000002500003155"  # 3-D Secure unless saved for off-session use
CARD_3DS_THEN_DECLINED = "4000008400001629"


def _stripe(path: str) -> list[dict]:
    base = current_app.config["STRIPE_API_BASE"]
    return requests.get(f"{base}/v1/{path}", timeout=5,
                        headers={"Authorization": "Bearer sk_test_saldo"}).json()["data"]


def _debtor():
    debtor = make_debtor(email="sol@example.com", locale="es_CO")
    make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=200_000_00)
    make_invoice(debtor, issued_on=date(2026, 10, 1), amount_minor=100_000_01)
    db.session.commit()
    return debtor


def test_a_three_d_secure_payment_is_one_payment_intent_and_one_check(stripe_app, client):
    sign_in(client, _debtor())
    response, token = pay(client, CARD_3DS)
    body = response.get_json()
    assert body["status"] == "requires_action"  # the one challenge
    authenticate_3ds(body["client_secret"])
    done = client.post(body["complete"], headers={"X-CSRFToken": token}).get_json()
    assert done["status"] == "succeeded"
    intents = _stripe("payment_intents")
    assert len(intents) == 1 and intents[0]["status"] == "succeeded"
    assert intents[0].get("setup_future_usage") is None
    assert _stripe("setup_intents") == []
    card = intents[0]["payment_method"]
    customer = db.session.scalar(select(Payment)).debtor.stripe_customer_id
    assert _stripe(f"payment_methods?customer={customer}&type=card") == []  # not kept
    assert card.startswith("pm_")


def test_saving_the_card_is_part_of_the_same_payment(stripe_app, client):
    sign_in(client, _debtor())
    response, token = pay(client, CARD_3DS, save_card=True)
    body = response.get_json()
    authenticate_3ds(body["client_secret"])
    assert client.post(body["complete"], headers={"X-CSRFToken": token}
                       ).get_json()["status"] == "succeeded"
    (intent,) = _stripe("payment_intents")
    assert intent["setup_future_usage"] == "off_session"
    customer = db.session.scalar(select(Payment)).debtor.stripe_customer_id
    saved = _stripe(f"payment_methods?customer={customer}&type=card")
    assert [m["id"] for m in saved] == [intent["payment_method"]]
    assert _stripe("setup_intents") == []


def test_a_failed_check_then_a_declined_card_are_clear_and_charge_nothing(stripe_app, client):
    sign_in(client, _debtor())
    response, token = pay(client, CARD_3DS)
    body = response.get_json()
    authenticate_3ds(body["client_secret"], success=False)
    failed = client.post(body["complete"], headers={"X-CSRFToken": token})
    assert failed.status_code == 402
    assert "verificación de tu banco" in failed.get_json()["error"]
    response, token = pay(client, CARD_3DS_THEN_DECLINED)
    body = response.get_json()
    try:
        authenticate_3ds(body["client_secret"])  # the check passes, then the bank declines
    except requests.HTTPError:
        pass
    declined = client.post(body["complete"], headers={"X-CSRFToken": token})
    assert declined.status_code == 402 and "rechazada" in declined.get_json()["error"]
    assert {p.status for p in db.session.scalars(select(Payment))} == {"failed"}
    assert sum(i.paid_minor for i in db.session.scalars(select(Invoice))) == 0


def _choose(client, offer: str, number: str):
    token = csrf_token(client, "/plans")
    body = client.post("/plans/accept", data={"csrf_token": token, "offer": offer}).get_json()
    response = client.post(body["confirm"], data={"payment_method": create_card(number)},
                           headers={"X-CSRFToken": token})
    return response, token


def test_a_plans_first_instalment_and_its_card_are_one_confirmation(stripe_app, client):
    sign_in(client, _debtor())
    response, token = _choose(client, "3-monthly-COP", CARD_3DS_ONCE)
    body = response.get_json()
    assert body["status"] == "requires_action" and body["action"] == "payment"
    authenticate_3ds(body["client_secret"])
    done = client.post(body["complete"], headers={"X-CSRFToken": token}).get_json()
    assert done["status"] == "active"
    plan = db.session.scalar(select(PaymentPlan))
    first, second, third = plan.installments
    assert (plan.status, first.status) == ("active", "paid")
    (intent,) = _stripe("payment_intents")
    assert intent["setup_future_usage"] == "off_session"
    assert intent["payment_method"] == plan.stripe_payment_method_id
    assert _stripe("setup_intents") == []
    # Later instalments: off-session under that mandate, no new check.
    assert jobs.charge_due_installments(second.due_on)["paid"] == 1
    db.session.remove()
    plan = db.session.scalar(select(PaymentPlan))
    assert [i.status for i in plan.installments] == ["paid", "paid", "pending"]


def test_a_card_that_always_needs_the_check_fails_off_session_as_stripe_says(stripe_app,
                                                                              client):
    sign_in(client, _debtor())
    response, token = _choose(client, "2-monthly-COP", CARD_3DS)
    body = response.get_json()
    authenticate_3ds(body["client_secret"])
    client.post(body["complete"], headers={"X-CSRFToken": token})
    plan = db.session.scalar(select(PaymentPlan))
    second_due = plan.installments[1].due_on
    assert jobs.charge_due_installments(second_due)["failed"] == 1
    db.session.remove()
    second = db.session.scalar(select(PaymentPlan)).installments[1]
    assert (second.status, second.last_error) == ("failed", "authentication_required")


def test_a_failed_check_on_a_plan_starts_no_plan(stripe_app, client):
    sign_in(client, _debtor())
    response, token = _choose(client, "3-monthly-COP", CARD_3DS)
    body = response.get_json()
    authenticate_3ds(body["client_secret"], success=False)
    failed = client.post(body["complete"], headers={"X-CSRFToken": token})
    assert failed.status_code == 402 and "verificación" in failed.get_json()["error"]
    plan = db.session.scalar(select(PaymentPlan))
    assert plan.status == "cancelled"
    assert {i.plan_id for i in db.session.scalars(select(Invoice))} == {None}


def test_a_plan_that_starts_later_saves_its_card_with_one_setup_check(stripe_app, client):
    save_settings({"plans": {"first_due_today": False}})
    db.session.commit()
    sign_in(client, _debtor())
    response, token = _choose(client, "3-monthly-COP", CARD_3DS)
    body = response.get_json()
    assert body["status"] == "requires_action" and body["action"] == "setup"
    setup_id = body["client_secret"].split("_secret_")[0]
    base = current_app.config["STRIPE_API_BASE"]
    requests.post(f"{base}/v1/setup_intents/{setup_id}/confirm", timeout=5, json={
        "key": "pk_test_saldo", "client_secret": body["client_secret"]}).raise_for_status()
    done = client.post(body["complete"], data={"setup_intent": setup_id},
                       headers={"X-CSRFToken": token}).get_json()
    assert done["status"] == "active"
    plan = db.session.scalar(select(PaymentPlan))
    assert plan.installments[0].due_on > date.today() - timedelta(days=1)
    assert [i.status for i in plan.installments] == ["pending"] * 3
    assert _stripe("payment_intents") == []  # nothing charged yet: one check, the card's
    customer = db.session.get(Debtor, plan.debtor_id).stripe_customer_id
    assert [m["id"] for m in _stripe(f"payment_methods?customer={customer}&type=card")] == [
        plan.stripe_payment_method_id]


def test_an_ok_card_needs_no_check_at_all(stripe_app, client):
    sign_in(client, _debtor())
    response, _ = _choose(client, "2-monthly-COP", CARD_OK)
    assert response.get_json()["status"] == "active"
    plan = db.session.scalar(select(PaymentPlan))
    assert plan.installments[0].status == "paid"

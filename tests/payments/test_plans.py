"""Payment plans against localstripe: accept with a saved card, autopay, a failed and
retried instalment, a broken plan, paying early and replacing the card."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from payments import jobs
from portal.extensions import db
from portal.models import Installment, Invoice, Payment, PaymentPlan, utcnow
from tests.factories import deliver, make_debtor, make_invoice, sign_in
from tests.payments.helpers import (
    CARD_DECLINE_AT_CHARGE,
    CARD_OK,
    confirm_card_setup,
    create_card,
    csrf_token,
)


def _debtor():
    debtor = make_debtor(email="caro@example.com", locale="es_CO")
    make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=200_000_00)
    make_invoice(debtor, issued_on=date(2026, 10, 1), amount_minor=100_000_01)
    db.session.commit()
    return debtor


def _accept(client, offer: str, number: str = CARD_OK):
    token = csrf_token(client, "/plans")
    started = client.post("/plans/accept", data={"csrf_token": token, "offer": offer})
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    response = client.post(body["confirm"], data={"payment_method": create_card(number)},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    return db.session.scalar(select(PaymentPlan).where(PaymentPlan.status != "cancelled"))


def _replace_card(client, plan_id: int, number: str) -> None:
    token = csrf_token(client, f"/plans/{plan_id}")
    body = client.post(f"/plans/{plan_id}/card", headers={"X-CSRFToken": token}).get_json()
    setup_id = confirm_card_setup(body["client_secret"], number)
    response = client.post(body["confirm"], data={"setup_intent": setup_id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()


def _installments(plan_id: int) -> list[Installment]:
    db.session.remove()
    return list(db.session.scalars(select(Installment).where(Installment.plan_id == plan_id)
                                   .order_by(Installment.seq)))


def test_offers_page_shows_every_date_and_amount(stripe_app, client):
    sign_in(client, _debtor())
    page = client.get("/plans").get_data(as_text=True)
    assert 'value="3-monthly-COP"' in page
    # 300.000,01 / 3: two whole instalments shown without cents, the remainder on the last
    assert re.search(r"100\.000(?![,\d])", page) and "100.000,01" in page


def test_full_plan_with_a_failed_and_retried_instalment(stripe_app, client, smtp_server,
                                                        runner):
    debtor = _debtor()
    sign_in(client, debtor)
    today = utcnow().date()
    plan = _accept(client, "3-monthly-COP")
    plan_id = plan.id
    assert plan.status == "active" and plan.stripe_payment_method_id.startswith("pm_")
    first, second, third = _installments(plan_id)
    assert first.status == "paid"  # due today: charged on acceptance
    assert [i.amount_minor for i in (first, second, third)] == [100_000_00] * 2 + [100_000_01]
    assert {i.plan_id for i in db.session.scalars(select(Invoice))} == {plan_id}
    deliver()
    accepted = next(m for m in smtp_server.messages if "activo" in m["Subject"])
    assert "4242" in accepted.get_content() and "$\u00a0100.000,01" in accepted.get_content()

    second_due, third_due = second.due_on, third.due_on
    _replace_card(client, plan_id, CARD_DECLINE_AT_CHARGE)
    assert jobs.charge_due_installments(second_due - timedelta(days=1))["paid"] == 0
    assert jobs.charge_due_installments(second_due)["failed"] == 1
    second = _installments(plan_id)[1]
    assert second.status == "failed" and second.next_attempt_on == second_due + timedelta(1)
    assert jobs.charge_due_installments(second_due)["failed"] == 0  # not retried twice
    deliver()
    notice = smtp_server.messages[-1]
    assert notice["To"] == "caro@example.com" and "cuota" in notice["Subject"]

    _replace_card(client, plan_id, CARD_OK)
    assert jobs.charge_due_installments(second_due + timedelta(1))["paid"] == 1
    result = runner.invoke(args=["payments", "charge-installments", "--date",
                                 third_due.isoformat()])
    assert result.exit_code == 0 and "paid: 1" in result.output
    plan = db.session.get(PaymentPlan, plan_id)
    assert plan.status == "completed"
    assert {i.status for i in db.session.scalars(select(Invoice))} == {"paid"}
    charged = db.session.scalars(select(Payment).where(Payment.status == "succeeded")).all()
    assert sum(p.amount_minor for p in charged) == 300_000_01
    assert len({p.idempotency_key for p in db.session.scalars(select(Payment))}) == 4
    assert today == _installments(plan_id)[0].due_on


def test_plan_breaks_after_the_last_failed_retry(stripe_app, client, smtp_server):
    sign_in(client, _debtor())
    plan_id = _accept(client, "2-monthly-COP").id
    _replace_card(client, plan_id, CARD_DECLINE_AT_CHARGE)
    due = _installments(plan_id)[1].due_on
    outcomes = [jobs.charge_due_installments(day) for day in
                (due, due + timedelta(1), due + timedelta(3))]
    assert [o["failed"] for o in outcomes] == [1, 1, 0] and outcomes[2]["broken"] == 1
    plan = db.session.get(PaymentPlan, plan_id)
    assert plan.status == "broken" and plan.ended_at is not None
    assert _installments(plan_id)[1].attempts == 3
    assert {i.plan_id for i in db.session.scalars(select(Invoice))} == {None}
    assert jobs.charge_due_installments(due + timedelta(10))["failed"] == 0
    deliver()  # two charge-failed notices and the plan-ended one (sent in parallel)
    subjects = sorted(m["Subject"].lower() for m in smtp_server.messages)
    assert sum("cancel" in s for s in subjects) == 1
    assert sum("no pudimos cobrar" in s for s in subjects) == 2


def test_debtor_pays_an_instalment_early(stripe_app, client):
    sign_in(client, _debtor())
    plan_id = _accept(client, "3-weekly-COP").id
    token = csrf_token(client, f"/plans/{plan_id}")
    response = client.post(f"/plans/{plan_id}/installments/2/pay",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert [i.status for i in _installments(plan_id)] == ["paid", "paid", "pending"]
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "100.000,01" in page


def test_a_stripe_refusal_when_paying_early_is_explained_and_charges_nothing(
        stripe_app, client, monkeypatch):
    from payments import plan_service
    from payments.gateway import GatewayError

    sign_in(client, _debtor())
    plan_id = _accept(client, "3-weekly-COP").id
    token = csrf_token(client, f"/plans/{plan_id}")

    def refused(installment, today):
        raise GatewayError("No such payment_method", 400)

    monkeypatch.setattr(plan_service, "charge_installment", refused)
    response = client.post(f"/plans/{plan_id}/installments/2/pay", data={"csrf_token": token})
    assert response.status_code == 302
    assert [i.status for i in _installments(plan_id)] == ["paid", "pending", "pending"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No se pudo procesar el pago. No se realizó ningún cobro." in page


def test_another_debtors_plan_is_not_found(stripe_app, client):
    debtor = _debtor()
    stranger = make_debtor()
    theirs = PaymentPlan(debtor_id=stranger.id, status="active", total_minor=100,
                         currency="COP", frequency="weekly", installment_count=1)
    theirs.installments = [Installment(seq=1, due_on=date(2026, 12, 1), amount_minor=100)]
    db.session.add(theirs)
    db.session.commit()
    sign_in(client, debtor)
    assert client.get(f"/plans/{theirs.id}").status_code == 404
    token = csrf_token(client, "/plans")
    assert client.post(f"/plans/{theirs.id}/installments/1/pay",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/plans/{theirs.id}/card",
                       headers={"X-CSRFToken": token}).status_code == 404


def test_a_lost_answer_while_charging_an_instalment_never_charges_twice(
        stripe_app, client, localstripe, monkeypatch):
    import requests

    from payments.gateway import GatewayUnavailable, gateway

    sign_in(client, _debtor())
    plan_id = _accept(client, "3-weekly-COP").id
    stripe = gateway()
    real_create = stripe.create_payment_intent

    def charged_but_answer_lost(**params):
        real_create(**params)
        raise GatewayUnavailable("read timed out")

    monkeypatch.setattr(stripe, "create_payment_intent", charged_but_answer_lost)
    due = _installments(plan_id)[1].due_on
    assert jobs.charge_due_installments(due)["unavailable"] == 1
    assert _installments(plan_id)[1].status == "pending"
    monkeypatch.setattr(stripe, "create_payment_intent", real_create)
    assert jobs.charge_due_installments(due)["paid"] == 1
    assert [i.status for i in _installments(plan_id)] == ["paid", "paid", "pending"]
    intents = requests.get(f"{localstripe}/v1/payment_intents", timeout=5,
                           headers={"Authorization": "Bearer sk_test_saldo"}).json()["data"]
    assert [i["status"] for i in intents].count("succeeded") == 2


def test_paying_everything_now_ends_the_plan_and_stops_the_charges(stripe_app, client):
    from tests.payments.helpers import pay

    sign_in(client, _debtor())
    plan_id = _accept(client, "3-weekly-COP").id
    response, _ = pay(client)
    assert response.get_json()["status"] == "succeeded"
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "No hace falta" in page
    plan = db.session.get(PaymentPlan, plan_id)
    assert plan.status == "completed"
    assert [i.status for i in _installments(plan_id)] == ["paid", "cancelled", "cancelled"]
    last_due = _installments(plan_id)[2].due_on
    assert jobs.charge_due_installments(last_due)["paid"] == 0
    charged = db.session.scalars(select(Payment).where(Payment.status == "succeeded")).all()
    assert sum(p.amount_minor for p in charged) == 300_000_01


def test_a_card_declined_at_acceptance_starts_no_plan_and_another_card_can(
        stripe_app, client, smtp_server):
    sign_in(client, _debtor())
    token = csrf_token(client, "/plans")
    body = client.post("/plans/accept", data={"csrf_token": token, "offer": "2-weekly-COP"}
                       ).get_json()
    declined = client.post(body["confirm"],
                           data={"payment_method": create_card(CARD_DECLINE_AT_CHARGE)},
                           headers={"X-CSRFToken": token})
    assert declined.status_code == 402 and "rechazada" in declined.get_json()["error"]
    plan = db.session.scalar(select(PaymentPlan))
    assert plan.status == "cancelled"
    assert {i.status for i in plan.installments} == {"cancelled"}
    assert {i.plan_id for i in db.session.scalars(select(Invoice))} == {None}
    assert db.session.scalar(select(Payment)).status == "failed"
    assert not any("activo" in m["Subject"] for m in smtp_server.messages)
    again = _accept(client, "2-weekly-COP", CARD_OK)
    assert again.status == "active" and again.installments[0].status == "paid"


def test_the_card_of_a_plan_that_is_over_cannot_be_replaced(app, client):
    debtor = _debtor()
    broken = PaymentPlan(debtor_id=debtor.id, status="broken", total_minor=100,
                         currency="COP", frequency="weekly", installment_count=1,
                         stripe_payment_method_id="pm_old")
    broken.installments = [Installment(seq=1, due_on=date(2026, 12, 1), amount_minor=100)]
    db.session.add(broken)
    db.session.commit()
    sign_in(client, debtor)
    token = csrf_token(client, "/plans")
    response = client.post(f"/plans/{broken.id}/card/confirm", data={"setup_intent": "seti_x"},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 404
    db.session.refresh(broken)
    assert broken.stripe_payment_method_id == "pm_old"

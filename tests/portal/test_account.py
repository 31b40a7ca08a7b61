"""The account page, invoice page and printable view: amounts, statuses, history, plans."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.models import Installment, PaymentPlan, PromiseToPay
from tests.factories import make_invoice, make_payment
from tests.portal.conftest import days, identified_debtor, today_bogota


def test_balance_in_es_co_format(signed_client, db, debtor):
    today = today_bogota()
    make_invoice(debtor, issued_on=today - days(40), due_on=today - days(10),
                 amount_minor=2_000_000_00)
    make_invoice(debtor, issued_on=today, due_on=today + days(20), amount_minor=500_000_00)
    db.session.commit()
    body = signed_client.get("/account").get_data(as_text=True)
    assert "$\u00a02.500.000" in body  # total due
    assert "$\u00a02.000.000" in body  # overdue part
    assert "Vencida" in body  # status in Spanish for an es_CO debtor


def test_pt_br_debtor_sees_reais_and_portuguese(client, db):
    from tests.factories import sign_in

    person = identified_debtor(locale="pt_BR", country="BR", timezone="America/Sao_Paulo")
    today = today_bogota()
    make_invoice(person, issued_on=today, due_on=today + days(3), amount_minor=1_234_50,
                 currency="BRL")
    db.session.commit()
    sign_in(client, person)
    body = client.get("/account").get_data(as_text=True)
    assert "R$\u00a01.234,50" in body
    assert "Vence em breve" in body


def test_statuses_history_and_plans(signed_client, db, debtor):
    today = today_bogota()
    overdue = make_invoice(debtor, issued_on=today - days(40), due_on=today - days(5))
    soon = make_invoice(debtor, issued_on=today, due_on=today + days(3))
    disputed = make_invoice(debtor, issued_on=today, due_on=today + days(20), disputed=True)
    promised = make_invoice(debtor, issued_on=today - days(40), due_on=today - days(2))
    db.session.add(PromiseToPay(debtor_id=debtor.id, invoice_id=promised.id,
                                promised_on=today + days(4), amount_minor=1000_00,
                                currency="COP"))
    plan = PaymentPlan(debtor_id=debtor.id, status="active", total_minor=300_000_00,
                       currency="COP", frequency="monthly", installment_count=3)
    plan.installments = [Installment(seq=i, due_on=today + days(30 * i),
                                     amount_minor=100_000_00) for i in range(1, 4)]
    db.session.add(plan)
    db.session.flush()
    in_plan = make_invoice(debtor, issued_on=today, due_on=today + days(15), plan_id=plan.id)
    paid = make_invoice(debtor, issued_on=today - days(90), due_on=today - days(60),
                        description="Agosto")
    make_payment(paid)
    paid.status, paid.settled_on = "paid", today - days(61)
    db.session.commit()
    body = signed_client.get("/account").get_data(as_text=True)
    for label in ("Vencida", "Vence pronto", "En revisión", "Prometida", "En plan de pago",
                  "Pagada"):
        assert label in body, label
    assert "Agosto" in body and "3 cuotas" in body
    for invoice in (overdue, soon, disputed, promised, in_plan, paid):
        assert f"/invoices/{invoice.id}" in body


def test_pay_buttons_only_when_payments_exist(app, signed_client, db, debtor):
    make_invoice(debtor)
    db.session.commit()
    body = signed_client.get("/account").get_data(as_text=True)
    if "payments.pay_form" in app.view_functions:
        assert "/pay" in body
    else:
        assert "no está configurado" in body and "/pay" not in body


def test_invoice_page_shows_payments_and_print_view(signed_client, db, debtor):
    invoice = make_invoice(debtor, amount_minor=900_000_00)
    payment = make_payment(invoice, 300_000_00)
    payment.received_on = today_bogota()
    payment.created_at = datetime.now(UTC)
    db.session.commit()
    body = signed_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert invoice.external_id in body
    assert "$\u00a0600.000" in body and "$\u00a0300.000" in body
    printable = signed_client.get(f"/invoices/{invoice.id}/print")
    assert printable.status_code == 200
    assert "$\u00a0600.000" in printable.get_data(as_text=True)


def test_english_by_browser_when_not_signed_in(client):
    response = client.get("/link", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Get my link" in response.get_data(as_text=True)
    pt = client.get("/link", headers={"Accept-Language": "pt-BR"})
    assert "Receber meu link" in pt.get_data(as_text=True) or 'lang="pt-BR"' in \
        pt.get_data(as_text=True)


def test_language_switcher_saves_cookie_and_debtor_locale(signed_client, db, debtor):
    from tests.portal.conftest import post_form

    response = post_form(signed_client, "/language", {"language": "en", "next": "/account"},
                         form_url="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "saldo_locale=en" in response.headers["Set-Cookie"]
    db.session.refresh(debtor)
    assert debtor.locale == "en_CO" or debtor.locale.startswith("en")
    assert "Your balance" in signed_client.get("/account").get_data(as_text=True)
    evil = post_form(signed_client, "/language", {"language": "es", "next": "https://evil.example"},
                     form_url="/account")
    assert evil.headers["Location"] == "/"


def test_language_switcher_refuses_next_targets_browsers_read_as_another_site(signed_client):
    """Browsers treat "\\" as "/" and drop tabs: "/\\evil" and "/\\t/evil" leave the site."""
    from tests.portal.conftest import post_form

    for target in ("/\\evil.example", "/\\/evil.example", "/\t/evil.example",
                   "/\n/evil.example", "//evil.example", "https://evil.example"):
        response = post_form(signed_client, "/language", {"language": "es", "next": target},
                             form_url="/account")
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
    kept = post_form(signed_client, "/language", {"language": "es", "next": "/invoices/1?x=1"},
                     form_url="/account")
    assert kept.headers["Location"] == "/invoices/1?x=1"

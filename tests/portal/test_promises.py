"""Promise to pay: the policy window, amounts, confirmation, and broken/kept marking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.settings import save_settings
from portal.models import AuditEvent, PromiseToPay
from portal.operations.promises import mark_broken_promises
from tests.factories import make_invoice, make_payment
from tests.portal.conftest import days, post_form, today_bogota


def test_promise_within_window_is_recorded(signed_client, db, debtor):
    invoice = make_invoice(debtor, amount_minor=500_000_00)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    form = signed_client.get(url).get_data(as_text=True)
    assert 'value="500000.00"' in form  # defaults to the balance
    on = today_bogota() + days(10)
    response = post_form(signed_client, url, {"promised_on": on.isoformat(),
                                              "amount": "250000,50"})
    assert response.status_code == 302
    promise = db.session.scalar(select(PromiseToPay))
    assert promise.amount_minor == 250_000_50 and promise.promised_on == on
    assert promise.status == "open" and promise.currency == "COP"
    done = signed_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "$\u00a0250.000,50" in done
    assert "Prometida" in signed_client.get("/account").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.created"))


def test_promise_outside_window_or_amount_refused(signed_client, db, debtor):
    invoice = make_invoice(debtor, amount_minor=100_000_00)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    late = post_form(signed_client, url, {"promised_on": (today_bogota() + days(31)).isoformat(),
                                          "amount": "1000"})
    assert late.status_code == 400 and "dentro del plazo" in late.get_data(as_text=True)
    past = post_form(signed_client, url, {"promised_on": (today_bogota() - days(1)).isoformat(),
                                          "amount": "1000"})
    assert past.status_code == 400
    too_much = post_form(signed_client, url, {"promised_on": today_bogota().isoformat(),
                                              "amount": "100000.01"})
    assert too_much.status_code == 400
    garbage = post_form(signed_client, url, {"promised_on": today_bogota().isoformat(),
                                             "amount": "mucho"})
    assert garbage.status_code == 400 and 'value="mucho"' in garbage.get_data(as_text=True)
    assert db.session.scalar(select(PromiseToPay)) is None


def test_window_comes_from_alert_policy(signed_client, db, debtor):
    save_settings({"promise_window_days": 5}, note="shorter window")
    invoice = make_invoice(debtor)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    response = post_form(signed_client, url, {
        "promised_on": (today_bogota() + days(6)).isoformat(), "amount": "1000"})
    assert response.status_code == 400
    ok = post_form(signed_client, url, {
        "promised_on": (today_bogota() + days(5)).isoformat(), "amount": "1000"})
    assert ok.status_code == 302


def test_new_promise_replaces_open_one(signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    for n in (3, 5):
        post_form(signed_client, url, {"promised_on": (today_bogota() + days(n)).isoformat(),
                                       "amount": "1000"})
    statuses = sorted(p.status for p in db.session.scalars(select(PromiseToPay)))
    assert statuses == ["cancelled", "open"]


def test_mark_broken_promises(app, db):
    from tests.factories import make_debtor

    person = make_debtor()
    today = datetime.now(UTC).date()
    unpaid = make_invoice(person)
    paid = make_invoice(person)
    future = make_invoice(person)
    rows = [PromiseToPay(debtor_id=person.id, invoice_id=inv.id, promised_on=on,
                         amount_minor=1000_00, currency="COP",
                         created_at=datetime.now(UTC) - timedelta(days=3))
            for inv, on in ((unpaid, today - days(1)), (paid, today - days(1)),
                            (future, today))]
    db.session.add_all(rows)
    db.session.flush()
    make_payment(paid, 1000_00)
    db.session.commit()
    assert mark_broken_promises(today) == 1
    assert [r.status for r in rows] == ["broken", "kept", "open"]
    assert mark_broken_promises(today) == 0


def test_promise_amount_is_read_the_way_the_debtor_writes_numbers(signed_client, db, debtor):
    """In es-CO "150.000" is a hundred and fifty thousand pesos, never 150 pesos."""
    invoice = make_invoice(debtor, amount_minor=2_500_000_00)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    on = (today_bogota() + days(5)).isoformat()
    for typed, expected in (("150.000", 150_000_00), ("1.500.000,50", 1_500_000_50),
                            ("2500000.00", 2_500_000_00), ("150000,5", 150_000_50)):
        response = post_form(signed_client, url, {"promised_on": on, "amount": typed})
        assert response.status_code == 302, typed
        newest = db.session.scalars(select(PromiseToPay).order_by(PromiseToPay.id.desc())).first()
        assert newest.amount_minor == expected, typed
    refused = post_form(signed_client, url, {"promised_on": on, "amount": "1,500.00"})
    assert refused.status_code == 400

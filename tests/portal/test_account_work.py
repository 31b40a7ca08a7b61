"""How much work /account does per request (not how fast: speed is in benches/): the
debtor is looked up once, the queries do not grow with the history, and the cached lookups
follow a sign-in or sign-out in the same request."""

from __future__ import annotations

from datetime import date, timedelta

from flask import g
from sqlalchemy import event, select

from portal import auth
from portal.auth import current_debtor, login_debtor
from portal.debtor.format import display_locale
from portal.extensions import db
from portal.models import Dispute, Installment, Invoice, PaymentPlan
from tests.factories import make_debtor, make_invoice, make_payment, sign_in


def _history(debtor, months: int) -> None:
    for n in range(months):
        issued = date(2024, 1, 1) + timedelta(days=31 * n)
        invoice = make_invoice(debtor, issued_on=issued, description=f"{issued:%Y-%m}",
                               status="paid", settled_on=issued + timedelta(days=20))
        make_payment(invoice)
    make_invoice(debtor, issued_on=date(2026, 11, 1))
    db.session.commit()


def _count_queries(app, client, url: str) -> list[str]:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def test_account_queries_do_not_grow_with_the_history(app, client, db):
    short, long = make_debtor(), make_debtor()
    _history(short, 2)
    _history(long, 24)
    sign_in(client, short)
    few = _count_queries(app, client, "/account")
    sign_in(client, long)
    many = _count_queries(app, client, "/account")
    # The session row with its debtor; the invoices with their open promises and whether
    # there are plans or open disputes to load (here there are none).
    assert len(many) == len(few) == 2, many
    assert "JOIN debtor" in many[0] and "FROM user_session" in many[0]
    assert "JOIN promise_to_pay" in many[1]


def _plan_and_dispute(debtor, invoice) -> None:
    plan = PaymentPlan(debtor_id=debtor.id, status="active", total_minor=300_000_00,
                       currency="COP", frequency="monthly", installment_count=3)
    plan.installments = [Installment(seq=i, due_on=date(2026, 12, 1) + timedelta(days=30 * i),
                                     amount_minor=100_000_00) for i in range(3)]
    db.session.add(plan)
    db.session.add(Dispute(debtor_id=debtor.id, invoice_id=invoice.id, reason="wrong_amount",
                           message="no"))
    db.session.commit()


def test_plans_and_disputes_are_loaded_when_there_are_some(app, client, db):
    debtor = make_debtor()
    _history(debtor, 3)
    invoice = db.session.scalars(select(Invoice).where(Invoice.debtor_id == debtor.id)).first()
    _plan_and_dispute(debtor, invoice)
    sign_in(client, debtor)
    statements = _count_queries(app, client, "/account")
    assert len(statements) == 5, statements  # + plans, + disputes, + the plan's instalments
    page = client.get("/account").get_data(as_text=True)
    dispute = db.session.scalars(select(Dispute).where(Dispute.debtor_id == debtor.id)).one()
    assert "3 cuotas" in page and f'href="/disputes/{dispute.id}"' in page


def test_a_dispute_shows_when_no_invoice_is_listed(app, client, db):
    """No invoice rows to carry the answer (the disputed invoice was cancelled): the page
    asks for plans and disputes itself."""
    debtor = make_debtor()
    invoice = make_invoice(debtor, status="cancelled")
    _plan_and_dispute(debtor, invoice)
    sign_in(client, debtor)
    page = client.get("/account").get_data(as_text=True)
    dispute = db.session.scalars(select(Dispute).where(Dispute.debtor_id == debtor.id)).one()
    assert "3 cuotas" in page and f'href="/disputes/{dispute.id}"' in page


def test_the_debtor_is_loaded_once_per_request(app, client, db, monkeypatch):
    debtor = make_debtor()
    _history(debtor, 24)
    sign_in(client, debtor)
    loads = []
    original = auth.load_user
    monkeypatch.setattr(app.login_manager, "_user_callback",
                        lambda user_id: loads.append(user_id) or original(user_id))
    with client:
        assert client.get("/account").status_code == 200
        assert g.saldo_debtor is not None and g.saldo_debtor.id == debtor.id  # kept on g
        assert g.saldo_display_locale[1:] == ("es", "es_CO")  # (page Locale, page, shown)
    assert loads == [debtor.get_id()]


def test_signing_in_during_a_request_replaces_the_cached_debtor(app, db):
    first, second = make_debtor(), make_debtor(locale="es_MX", country="MX")
    db.session.commit()
    with app.test_request_context("/"):
        assert current_debtor() is None and g.saldo_debtor is None
        login_debtor(first)
        assert current_debtor() is first
        assert display_locale() == "es_CO"
        login_debtor(second)
        assert current_debtor() is second
        assert display_locale() == "es_MX"  # not the first debtor's, kept from before
        from flask_login import logout_user

        logout_user()
        assert current_debtor() is None


def test_warm_up_compiles_the_pages_and_loads_catalogues_without_the_database(app):
    """gunicorn calls portal.warm_up in the master before forking (gunicorn.conf.py): it
    must not open a database connection the workers would then share."""
    from portal import warm_up

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        app.jinja_env.cache.clear()
        warm_up(app)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == []
    compiled = {name for _, name in app.jinja_env.cache.keys()}
    assert {"base.html", "debtor/account.html", "debtor/_macros.html"} <= compiled

"""The demo portfolio is deterministic and shows every behaviour the product is for."""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.demo import seed_demo
from portal.models import Debtor, Dispute, Invoice, PromiseToPay

TODAY = date(2026, 11, 22)


def fingerprint(db):
    rows = db.session.execute(
        select(Invoice.external_id, Invoice.amount_minor, Invoice.status, Invoice.settled_on)
        .order_by(Invoice.external_id)
    ).all()
    return hash(tuple(rows))


def test_seed_is_deterministic_and_idempotent(db):
    summary = seed_demo(debtors=40, months=12, seed=3, today=TODAY)
    first = fingerprint(db)
    assert summary["debtors"] == 40 and not summary["skipped"]
    assert seed_demo(debtors=40, months=12, seed=3, today=TODAY)["skipped"]
    db.session.query(Invoice).delete()
    db.session.query(PromiseToPay).delete()
    db.session.query(Dispute).delete()
    from portal.models import Payment, PaymentAllocation

    db.session.query(PaymentAllocation).delete()
    db.session.query(Payment).delete()
    db.session.query(Debtor).delete()
    db.session.commit()
    seed_demo(debtors=40, months=12, seed=3, today=TODAY)
    assert fingerprint(db) == first


def test_portfolio_is_lively(db):
    seed_demo(debtors=120, months=12, seed=7, today=TODAY)
    locales = set(db.session.scalars(select(Debtor.locale)))
    assert {"es_CO", "es_MX", "pt_BR", "en_US"} <= locales
    currencies = set(db.session.scalars(select(Invoice.currency)))
    assert currencies == {"COP", "MXN", "BRL", "USD"}
    upcoming = db.session.scalar(
        select(func.count()).select_from(Invoice).where(
            Invoice.status == "open", Invoice.due_on > TODAY,
            Invoice.due_on <= TODAY + timedelta(days=30))
    )
    assert upcoming >= 60
    late = db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.settled_on > Invoice.due_on)
    )
    settled = db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.settled_on.is_not(None))
    )
    assert 0.1 < late / settled < 0.5
    assert db.session.scalar(select(func.count()).select_from(Dispute)) > 0
    statuses = set(db.session.scalars(select(PromiseToPay.status)))
    assert "broken" in statuses
    first = db.session.scalar(select(func.min(Invoice.issued_on)))
    assert first <= TODAY - timedelta(days=330)

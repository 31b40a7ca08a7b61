"""The database itself refuses impossible ledger states."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from portal.models import Message
from tests.factories import make_debtor, make_invoice


@pytest.mark.parametrize(
    "fields",
    [
        {"amount_minor": 0},
        {"amount_minor": 100, "paid_minor": 101},
        {"issued_on": date(2026, 5, 1), "due_on": date(2026, 4, 1)},
        {"status": "lost"},
    ],
)
def test_invoice_constraints(db, fields):
    with pytest.raises(IntegrityError):
        make_invoice(**fields)
    db.session.rollback()


def test_external_ids_are_unique(db):
    make_debtor(external_id="X")
    with pytest.raises(IntegrityError):
        make_debtor(external_id="X")
    db.session.rollback()


def test_timestamps_come_back_in_utc(db):
    debtor = make_debtor()
    db.session.commit()
    db.session.expire_all()
    assert debtor.created_at.tzinfo is not None
    assert debtor.created_at.utcoffset().total_seconds() == 0


def test_naive_timestamps_are_refused(db):
    debtor = make_debtor()
    db.session.add(Message(debtor_id=debtor.id, channel="email", template="t", rule="r",
                           reason="x", dedupe_key="k", send_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_outbox_dedupe_key_is_unique(db):
    debtor = make_debtor()
    when = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(2):
        db.session.add(Message(debtor_id=debtor.id, channel="email", template="t", rule="r",
                               reason="x", dedupe_key="same", send_at=when))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_balance_and_lateness(db):
    invoice = make_invoice(amount_minor=1000, paid_minor=400, due_on=date(2026, 10, 31))
    assert invoice.balance_minor == 600
    assert not invoice.is_late(date(2026, 10, 31))
    assert invoice.is_late(date(2026, 11, 1))
    invoice.settled_on, invoice.status = date(2026, 10, 30), "paid"
    assert not invoice.is_late(date(2027, 1, 1))

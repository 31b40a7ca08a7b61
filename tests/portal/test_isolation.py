"""A debtor can never see or act on another debtor's invoice, promise, dispute or attachment."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.models import Dispute, Invoice, PromiseToPay
from tests.factories import make_invoice, sign_in
from tests.portal.conftest import csrf_from, identified_debtor, today_bogota


@pytest.fixture
def other_records(app, db):
    """Another debtor with an invoice, a promise and a dispute with an attachment."""
    from portal.operations.disputes import open_dispute
    from portal.operations.promises import make_promise

    other = identified_debtor()
    invoice = make_invoice(other)
    disputed = make_invoice(other)
    promise = make_promise(invoice, today_bogota(), 1000_00, today_bogota())
    dispute = open_dispute(disputed, "other", "x", io.BytesIO(b"%PDF-1.4 test"))
    db.session.commit()
    return {"invoice": invoice.id, "promise": promise.id, "dispute": dispute.id}


ROUTES = [
    ("GET", "/invoices/{invoice}"),
    ("GET", "/invoices/{invoice}/print"),
    ("GET", "/invoices/{invoice}/promise"),
    ("POST", "/invoices/{invoice}/promise"),
    ("GET", "/invoices/{invoice}/dispute"),
    ("POST", "/invoices/{invoice}/dispute"),
    ("GET", "/promises/{promise}"),
    ("GET", "/disputes/{dispute}"),
    ("GET", "/disputes/{dispute}/attachment"),
]


def test_every_debtor_route_404s_on_other_debtors_ids(client, db, other_records):
    me = identified_debtor()
    make_invoice(me)
    db.session.commit()
    sign_in(client, me)
    token = csrf_from(client, "/account")
    data = {"csrf_token": token, "promised_on": today_bogota().isoformat(), "amount": "1",
            "reason": "other", "message": "mine", "confirm": "y"}
    for method, pattern in ROUTES:
        url = pattern.format(**other_records)
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(select(func.count()).select_from(PromiseToPay)) == 1
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1
    assert db.session.scalar(select(func.count()).select_from(Invoice)
                             .where(Invoice.disputed.is_(True))) == 1


def test_push_unsubscribe_cannot_remove_another_debtors_subscription(client, db):
    from portal.debtor.preferences import subscribe_push
    from portal.models import PushSubscription

    owner, me = identified_debtor(), identified_debtor()
    subscribe_push(owner, "https://push.example.com/x", "key", "auth")
    db.session.commit()
    sign_in(client, me)
    token = csrf_from(client, "/preferences")
    response = client.post("/push/unsubscribe", json={"endpoint": "https://push.example.com/x"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 404
    assert db.session.scalar(select(PushSubscription)).debtor_id == owner.id


@pytest.mark.parametrize("url", ["/account", "/invoices/1", "/invoices/1/print",
                                 "/invoices/1/promise", "/invoices/1/dispute", "/promises/1",
                                 "/disputes/1", "/disputes/1/attachment", "/preferences",
                                 "/dispute"])
def test_pages_need_a_signed_in_debtor(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/link" in response.headers["Location"]


def test_staff_session_is_not_a_debtor(client, db):
    from portal.models import StaffUser

    fields = {c.name for c in StaffUser.__table__.columns}
    values = {"email": "ops@example.com", "name": "Ops", "role": "admin",
              "password_hash": "x", "is_active": True}
    staff = StaffUser(**{k: v for k, v in values.items() if k in fields})
    db.session.add(staff)
    db.session.commit()
    sign_in(client, staff)
    assert client.get("/account").status_code == 302

"""Factory functions for models: sensible defaults, every field overridable."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

from portal.extensions import db
from portal.models import Debtor, Invoice, Payment, PaymentAllocation

_seq = itertools.count(1)


def make_debtor(**fields) -> Debtor:
    n = next(_seq)
    values = {
        "external_id": f"C-{n:05d}",
        "name": f"Debtor {n}",
        "email": f"debtor{n}@example.com",
        "phone": f"+57300{n:07d}",
        "locale": "es_CO",
        "timezone": "America/Bogota",
        "country": "CO",
    }
    values.update(fields)
    debtor = Debtor(**values)
    db.session.add(debtor)
    db.session.flush()
    return debtor


def make_invoice(debtor: Debtor | None = None, **fields) -> Invoice:
    n = next(_seq)
    debtor = debtor or make_debtor()
    issued = fields.pop("issued_on", date(2026, 10, 1))
    values = {
        "external_id": f"INV-{n:06d}",
        "debtor": debtor,
        "issued_on": issued,
        "due_on": issued + timedelta(days=30),
        "amount_minor": 150_000_00,
        "currency": "COP",
        "status": "open",
        "paid_minor": 0,
    }
    values.update(fields)
    invoice = Invoice(**values)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def make_payment(invoice: Invoice, amount_minor: int | None = None, **fields) -> Payment:
    amount = amount_minor or invoice.amount_minor - invoice.paid_minor
    payment = Payment(
        debtor=invoice.debtor, amount_minor=amount, currency=invoice.currency,
        method=fields.pop("method", "transfer"), status=fields.pop("status", "succeeded"),
        refunded_minor=0, **fields,
    )
    payment.allocations.append(PaymentAllocation(invoice=invoice, amount_minor=amount))
    invoice.paid_minor += amount
    db.session.add(payment)
    db.session.flush()
    return payment


def sign_in(client, user) -> str:
    """Sign a debtor or staff user in on a test client, as the sign-in pages do: a
    server-side session row (committed) and the cookie session naming it. Returns the
    session token."""
    from portal.sessions import SID_KEY, open_session

    token = open_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SID_KEY] = token
    return token


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str, status: int | None = None) -> str:
    """Fetch a page (optionally checking its status) and return its form's CSRF token."""
    page = client.get(url)
    if status is not None:
        assert page.status_code == status, page.status_code
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def deliver() -> dict:
    """Send what the outbox holds for people waiting (sign-in links, receipts, notices,
    replies), as the scheduler's urgent loop does within seconds of a request."""
    from alerts.enqueue import URGENT_KINDS
    from alerts.outbox import dispatch

    return dispatch(kinds=URGENT_KINDS)

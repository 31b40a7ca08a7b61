"""Parallel dispute submissions for one invoice open one dispute."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Dispute, Invoice
from tests.factories import csrf_token, make_invoice, sign_in
from tests.payments.race.conftest import ATTEMPTS, browser_cookie, in_parallel, post, report
from tests.portal.conftest import identified_debtor


def test_parallel_dispute_submissions_open_one_dispute(live_server_url, client,
                                                       database_url):
    debtor = identified_debtor(locale="es_CO")
    invoice = make_invoice(debtor)
    db.session.commit()
    invoice_id = invoice.id
    sign_in(client, debtor)
    url = f"/invoices/{invoice_id}/dispute"
    token = csrf_token(client, url, status=200)
    cookie = browser_cookie(client)

    def submit(_):
        return post(live_server_url + url, cookie=cookie, data={
            "csrf_token": token, "reason": "wrong_amount", "message": "No reconozco",
            "confirm": "y"}
        ).status_code

    results = in_parallel(ATTEMPTS, submit)
    disputes = db.session.scalar(select(func.count()).select_from(Dispute))
    report("dispute", database_url, attempts=ATTEMPTS, disputes=disputes)
    assert disputes == 1
    assert sorted(results) == [302] + [400] * (ATTEMPTS - 1)
    assert db.session.get(Invoice, invoice_id).disputed
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "dispute.opened")) == 1

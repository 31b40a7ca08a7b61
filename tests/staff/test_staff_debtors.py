"""Debtor search, the timeline, the promises list and the dispute queue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Dispute,
    Message,
    ModelVersion,
    PortalVisit,
    PromiseToPay,
    RiskScore,
)
from portal.staff.timeline import search_debtors
from tests.factories import deliver, make_debtor, make_invoice, make_payment
from tests.staff.conftest import csrf_token


def test_search_by_name_id_email_and_phone(app):
    ana = make_debtor(name="Ana Gómez", external_id="CUST-77", email="ana@correo.co",
                      phone="+573001112233")
    make_debtor(name="Bruno Silva", external_id="CUST-88", email="bruno@mail.br",
                phone="+5511987654321")
    db.session.commit()
    for query in ("ana g", "cust-77", "ANA@CORREO", "300 111 2233", str(ana.id)):
        assert [d.id for d in search_debtors(query)] == [ana.id], query
    assert search_debtors("100%") == []
    assert search_debtors("") == []


def test_timeline_shows_everything_newest_first(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor(name="Carla Ruiz")
    invoice = make_invoice(debtor, external_id="INV-T1", issued_on=date(2026, 9, 1),
                           amount_minor=5000, currency="USD")
    make_payment(invoice, 2000, received_on=date(2026, 10, 5))
    model = ModelVersion(algorithm="t", artifact_path="x", sha256="0" * 64, feature_names=[],
                         library_versions={})
    db.session.add(model)
    db.session.flush()
    db.session.add(RiskScore(invoice_id=invoice.id, model_version_id=model.id, probability=0.62,
                             band="high", scored_at=datetime(2026, 9, 20, tzinfo=UTC),
                             reasons=[{"code": "late_share", "params": {"late": 4, "total": 5}}]))
    db.session.add(Message(debtor_id=debtor.id, invoice_id=invoice.id, channel="email",
                           template="pre_due", rule="pre_7", reason="pre_7", dedupe_key="t1",
                           status="sent", send_at=datetime(2026, 9, 24, tzinfo=UTC),
                           sent_at=datetime(2026, 9, 24, tzinfo=UTC),
                           opened_at=datetime(2026, 9, 24, 9, tzinfo=UTC)))
    db.session.add(PromiseToPay(debtor_id=debtor.id, invoice_id=invoice.id,
                                promised_on=date(2026, 10, 20), amount_minor=3000,
                                currency="USD", created_at=datetime(2026, 10, 6, tzinfo=UTC)))
    db.session.add(PortalVisit(debtor_id=debtor.id, visited_at=datetime(2026, 10, 6, 1,
                                                                        tzinfo=UTC)))
    db.session.add(Dispute(debtor_id=debtor.id, invoice_id=invoice.id, reason="wrong_amount",
                           message="I was charged twice", status="open",
                           created_at=datetime(2026, 10, 7, tzinfo=UTC)))
    db.session.commit()
    page = client.get(f"/staff/debtors/{debtor.id}").get_data(as_text=True)
    page = page[page.index('<ol class="timeline">'):]
    expected = ["Dispute on INV-T1", "Portal visit", "Promise to pay $30.00",
                "Payment $20.00", "email message INV-T1", "Risk 62% for INV-T1",
                "Invoice INV-T1: $50.00"]
    positions = [page.index(text) for text in expected]
    assert positions == sorted(positions)
    assert "paid 4 of the last 5 invoices late" in page  # the reason, in words
    assert "opened" in page and "I was charged twice" in page
    only = client.get(f"/staff/debtors/{debtor.id}?kind=payment").get_data(as_text=True)
    only = only[only.index('<ol class="timeline">'):]
    assert "Payment $20.00" in only and "Portal visit" not in only
    assert client.get("/staff/debtors/999999").status_code == 404


def test_promises_list_by_status(staff_client):
    client, _ = staff_client("agent")
    invoice = make_invoice(external_id="INV-P1")
    db.session.add(PromiseToPay(debtor_id=invoice.debtor_id, invoice_id=invoice.id,
                                promised_on=date(2026, 12, 1), amount_minor=1000,
                                currency="COP", status="broken"))
    db.session.commit()
    assert "INV-P1" not in client.get("/staff/promises").get_data(as_text=True)
    assert "INV-P1" in client.get("/staff/promises?status=broken").get_data(as_text=True)


def _dispute(locale: str = "es_CO", amount: int = 100_000_00, paid: int = 0) -> Dispute:
    debtor = make_debtor(name="Lucía Prado", locale=locale, email="lucia@example.com")
    invoice = make_invoice(debtor, external_id="INV-D1", amount_minor=amount, paid_minor=paid,
                           currency="COP", disputed=True)
    dispute = Dispute(debtor_id=debtor.id, invoice_id=invoice.id, reason="wrong_amount",
                      message="Me cobraron de más", status="open")
    db.session.add(dispute)
    db.session.commit()
    return dispute


def resolve(client, dispute_id: int, **data):
    url = f"/staff/disputes/{dispute_id}"
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_accept_with_adjusted_amount_tells_the_debtor_in_spanish(staff_client, smtp_server):
    client, staff = staff_client("agent")
    dispute = _dispute()
    assert "INV-D1" in client.get("/staff/disputes").get_data(as_text=True)
    response = resolve(client, dispute.id, action="adjust", amount="80000.00",
                       note="Se aplicó el descuento")
    assert response.status_code == 302
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert (dispute.status, dispute.resolution_action, dispute.resolved_by_id) == (
        "accepted", "adjust", staff.id)
    assert dispute.invoice.amount_minor == 80_000_00 and dispute.invoice.disputed is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "dispute.accepted"))
    assert event.before["invoice"]["amount_minor"] == 100_000_00
    assert event.after["invoice"]["amount_minor"] == 80_000_00
    deliver()
    [mail] = smtp_server.messages
    assert mail["To"] == "lucia@example.com"
    assert "INV-D1" in mail["Subject"] and "aceptado" in mail["Subject"]
    body = mail.get_body().get_content()
    assert "$\u00a080.000" in body and "Se aplicó el descuento" in body


def test_cancel_and_reject_in_portuguese(staff_client, smtp_server):
    client, _ = staff_client("admin")
    dispute = _dispute(locale="pt_BR")
    assert resolve(client, dispute.id, action="cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).invoice.status == "cancelled"
    deliver()
    assert "cancelamos a fatura" in smtp_server.messages[-1].get_body().get_content()


def test_reject_needs_a_note_and_keeps_the_invoice(staff_client, smtp_server):
    client, _ = staff_client("agent")
    dispute = _dispute(locale="en_US")
    response = resolve(client, dispute.id, action="reject", note="")
    assert response.status_code == 400
    assert "Write a note" in response.get_data(as_text=True)
    deliver()
    assert smtp_server.messages == []
    assert resolve(client, dispute.id, action="reject",
                   note="The amount matches the contract").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Dispute, dispute.id)
    assert stored.status == "rejected" and stored.invoice.amount_minor == 100_000_00
    assert stored.invoice.disputed is False
    deliver()
    body = smtp_server.messages[-1].get_body().get_content()
    assert "could not accept it" in body and "The amount matches the contract" in body


@pytest.mark.parametrize("data, message", [
    ({"action": "adjust", "amount": "abc"}, "Enter the corrected amount as a number"),
    ({"action": "adjust", "amount": "150000"}, "lower than the current amount"),
    ({"action": "adjust", "amount": "10000"}, "lower than what was already paid"),
    ({"action": "cancel"}, "Part of this invoice is paid"),
])
def test_impossible_resolutions_are_refused(staff_client, data, message):
    client, _ = staff_client("agent")
    dispute = _dispute(paid=20_000_00)
    response = resolve(client, dispute.id, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).status == "open"


def test_a_resolved_dispute_cannot_be_resolved_twice(staff_client, smtp_server):
    client, _ = staff_client("agent")
    dispute = _dispute()
    resolve(client, dispute.id, action="reject", note="no")
    response = resolve(client, dispute.id, action="cancel")
    assert response.status_code == 400
    assert "already resolved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).invoice.status == "open"


def test_agent_records_and_cancels_a_promise_from_a_call(staff_client):
    client, agent = staff_client("agent")
    invoice = make_invoice(external_id="INV-CALL", amount_minor=50_000_00, currency="COP")
    other = make_invoice(external_id="INV-OTHER")
    db.session.commit()
    url = f"/staff/debtors/{invoice.debtor_id}"
    token = csrf_token(client, url)
    day = (datetime.now(UTC).date()).isoformat()
    bad = client.post(f"{url}/promises", data={"csrf_token": token, "invoice_id": invoice.id,
                                               "promised_on": day, "amount": "60000"})
    assert bad.status_code == 302
    assert "at most the balance" in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/promises", data={"csrf_token": token, "invoice_id": other.id,
                                                "promised_on": day, "amount": "1"}
                       ).status_code == 404  # not this debtor's invoice
    client.post(f"{url}/promises", data={"csrf_token": token, "invoice_id": invoice.id,
                                         "promised_on": day, "amount": "20000.50"})
    promise = db.session.scalar(select(PromiseToPay).where(PromiseToPay.invoice_id == invoice.id))
    assert (promise.amount_minor, promise.status) == (20_000_50, "open")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.recorded"))
    assert event.actor_id == str(agent.id)
    client.post(f"/staff/promises/{promise.id}/cancel", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(PromiseToPay, promise.id).status == "cancelled"


def test_a_dispute_resolved_meanwhile_is_not_resolved_twice(app, make_staff, smtp_server):
    # Another agent resolved it after this one loaded it (two tabs, two agents at once): the
    # stale resolution must not change the invoice again nor email the debtor twice.
    from sqlalchemy import update

    from portal.operations.disputes import ResolutionError, resolve_dispute

    staff = make_staff("agent")
    dispute = _dispute()
    stale = db.session.get(Dispute, dispute.id)
    assert stale.status == "open"
    with db.engine.begin() as other:
        other.execute(update(Dispute.__table__).where(Dispute.__table__.c.id == dispute.id)
                      .values(status="rejected", resolution_action="reject",
                              resolution_note="no"))
    with app.test_request_context(), pytest.raises(ResolutionError, match="already"):
        resolve_dispute(stale, staff, "cancel")
    db.session.rollback()
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert (dispute.status, dispute.resolution_action) == ("rejected", "reject")
    assert dispute.invoice.status == "open"
    deliver()
    assert smtp_server.messages == []


def test_adjusting_a_part_paid_invoice_tells_the_new_amount(staff_client, smtp_server):
    # 30,000 already paid; corrected from 100,000 to 80,000: the email names the corrected
    # amount (80,000), not what is left to pay (50,000).
    client, _ = staff_client("agent")
    dispute = _dispute(paid=30_000_00)
    response = resolve(client, dispute.id, action="adjust", amount="80000.00")
    assert response.status_code == 302
    deliver()
    body = smtp_server.messages[-1].get_body().get_content()
    assert "$\u00a080.000" in body and "50.000" not in body


def test_invoice_stays_disputed_while_another_dispute_is_open(staff_client, smtp_server):
    client, _ = staff_client("agent")
    first = _dispute()
    second = Dispute(debtor_id=first.debtor_id, invoice_id=first.invoice_id,
                     reason="not_received", message="Tampoco la recibí", status="open")
    db.session.add(second)
    db.session.commit()
    second_id = second.id
    assert resolve(client, first.id, action="reject", note="El monto es correcto").status_code \
        == 302
    db.session.expire_all()
    assert db.session.get(Dispute, first.id).invoice.disputed  # reminders stay paused
    assert resolve(client, second_id, action="reject", note="Entregada el 3/11").status_code \
        == 302
    db.session.expire_all()
    assert not db.session.get(Dispute, first.id).invoice.disputed

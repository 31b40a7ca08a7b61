"""The debtor timeline tells the truth: failed attempts, real times, translated labels; and
a promise is closed as kept when its invoice is paid."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from payments.allocation import allocate
from portal.extensions import db
from portal.models import AuditEvent, Dispute, Message, Payment, PromiseToPay
from portal.staff.labels import label
from tests.factories import make_debtor, make_invoice


def _timeline(client, debtor_id: int) -> str:
    page = client.get(f"/staff/debtors/{debtor_id}").get_data(as_text=True)
    return page[page.index('<ol class="timeline">'):]


def test_failed_and_abandoned_card_attempts_show_as_failed_attempts(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor()
    invoice = make_invoice(debtor, amount_minor=5000, currency="USD")
    now = datetime.now(UTC)
    db.session.add_all([
        Payment(debtor_id=debtor.id, amount_minor=1000, currency="USD", method="card",
                status="failed", failure_code="authentication_required",
                target_invoice_id=invoice.id, created_at=now - timedelta(hours=3)),
        Payment(debtor_id=debtor.id, amount_minor=2000, currency="USD", method="card",
                status="pending", target_invoice_id=invoice.id,
                created_at=now - timedelta(hours=2)),
        Payment(debtor_id=debtor.id, amount_minor=3000, currency="USD", method="card",
                status="pending", target_invoice_id=invoice.id, created_at=now)])
    db.session.commit()
    page = _timeline(client, debtor.id)
    assert page.count('data-state="failed_attempt"') == 2
    assert "Failed payment attempt $10.00" in page and "Failed payment attempt $20.00" in page
    assert "3-D Secure authentication failed" in page
    assert "card not confirmed or 3-D Secure not finished" in page
    assert 'data-state="pending"' in page  # the one started just now is still in progress


def test_card_payments_carry_their_real_time_and_sort_by_it(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor()
    invoice = make_invoice(debtor, amount_minor=5000, currency="USD")
    day = datetime(2026, 10, 5, tzinfo=UTC)
    db.session.add(Message(debtor_id=debtor.id, invoice_id=invoice.id, channel="email",
                           template="pre_due", rule="pre_2", reason="high_risk:pre_2",
                           band="high", dedupe_key="m1", status="sent",
                           send_at=day + timedelta(hours=9), sent_at=day + timedelta(hours=9)))
    db.session.add(Payment(debtor_id=debtor.id, amount_minor=5000, currency="USD",
                           method="card", status="succeeded", received_on=day.date(),
                           created_at=day + timedelta(hours=14),
                           updated_at=day + timedelta(hours=14, minutes=5)))
    db.session.commit()
    page = _timeline(client, debtor.id)
    assert "2026-10-05 14:05" in page and "2026-10-05 00:00" not in page
    assert page.index("Payment $50.00") < page.index("email message")
    # Internal codes appear as labels.
    assert "high risk · 2 days before the due date" in page
    assert "planned as high risk" in page and "reminder before the due date" in page
    assert "high_risk:pre_2" not in page


def test_dispute_reasons_and_skip_reasons_are_labelled(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor()
    invoice = make_invoice(debtor, amount_minor=5000, currency="USD")
    db.session.add(Dispute(debtor_id=debtor.id, invoice_id=invoice.id, reason="wrong_amount",
                           status="open"))
    db.session.add(Message(debtor_id=debtor.id, invoice_id=invoice.id, channel="none",
                           template="pre_due", rule="pre_7", reason="low_risk", band="low",
                           dedupe_key="m2", status="skipped", send_at=datetime.now(UTC)))
    db.session.commit()
    page = _timeline(client, debtor.id)
    assert "wrong amount" in page and "wrong_amount" not in page
    assert "low risk: no reminder needed" in page and ">low_risk<" not in page
    assert label("plan", "band") == "payment plan" and label("no_consent") == \
        "no recorded consent"


def test_a_promise_is_kept_when_its_invoice_is_paid(app):
    debtor = make_debtor()
    invoice = make_invoice(debtor, amount_minor=5000, currency="USD")
    other = make_invoice(debtor, amount_minor=9000, currency="USD")
    kept = PromiseToPay(debtor_id=debtor.id, invoice_id=invoice.id, currency="USD",
                        promised_on=date.today() + timedelta(days=5), amount_minor=5000)
    still = PromiseToPay(debtor_id=debtor.id, invoice_id=other.id, currency="USD",
                         promised_on=date.today() + timedelta(days=5), amount_minor=9000)
    db.session.add_all([kept, still])
    payment = Payment(debtor_id=debtor.id, amount_minor=6000, currency="USD", method="card",
                      status="succeeded", refunded_minor=0, target_invoice_id=invoice.id)
    db.session.add(payment)
    db.session.flush()
    allocate(payment, date.today())
    db.session.commit()
    assert db.session.get(PromiseToPay, kept.id).status == "kept"
    assert db.session.get(PromiseToPay, kept.id).resolved_at is not None
    assert db.session.get(PromiseToPay, still.id).status == "open"  # part-paid only
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.kept"))
    assert event.target_id == str(kept.id) and event.after == {"reason": "invoice_paid"}


def test_closing_promises_as_kept_races_safely(app):
    import threading

    from portal.operations.promises import keep_promises

    debtor = make_debtor()
    invoice = make_invoice(debtor, amount_minor=5000, currency="USD")
    promise = PromiseToPay(debtor_id=debtor.id, invoice_id=invoice.id, currency="USD",
                           promised_on=date.today() + timedelta(days=5), amount_minor=5000)
    db.session.add(promise)
    db.session.commit()
    invoice_id, promise_id = invoice.id, promise.id
    barrier = threading.Barrier(4)
    closed, errors = [], []

    def close() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                closed.append(keep_promises([invoice_id]))
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and sorted(closed) == [0, 0, 0, 1]
    db.session.remove()
    assert db.session.get(PromiseToPay, promise_id).status == "kept"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "promise.kept"))
    assert len(events.all()) == 1

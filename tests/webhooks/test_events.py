"""Each operation emits its event once, inside its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from payments.external import record_external_payment
from payments.records import apply_refund_total
from portal.debtor.preferences import opt_out
from portal.extensions import db
from portal.models import WebhookEvent
from portal.operations.disputes import open_dispute, resolve_dispute
from portal.operations.promises import make_promise, mark_broken_promises
from portal.staff.accounts import create_staff
from portal.webhooks import EVENTS
from portal.webhooks.endpoints import create_endpoint
from portal.webhooks.events import emit
from tests.factories import make_invoice


def listen(app) -> None:
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    create_endpoint("http://127.0.0.1:9/hooks", list(EVENTS), actor_type="system")
    db.session.commit()


def events() -> list[WebhookEvent]:
    return list(db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_promises_report_created_then_kept_or_broken(app):
    listen(app)
    today = datetime.now(UTC).date()
    kept_invoice = make_invoice(currency="USD", amount_minor=1000)
    broken_invoice = make_invoice(currency="USD", amount_minor=1000)
    make_promise(kept_invoice, today, 1000, today)
    make_promise(broken_invoice, today, 1000, today)
    db.session.commit()
    record_external_payment(kept_invoice.debtor, amount_minor=1000, currency="USD",
                            method="cash", reference="R-1", received_on=today,
                            invoice=kept_invoice)
    db.session.commit()
    mark_broken_promises(today + timedelta(days=1))
    by_type = {}
    for event in events():
        by_type.setdefault(event.type, []).append(event.payload)
    assert len(by_type["promise.created"]) == 2
    assert [p["invoice_id"] for p in by_type["promise.kept"]] == [kept_invoice.external_id]
    assert [p["invoice_id"] for p in by_type["promise.broken"]] == [broken_invoice.external_id]
    assert by_type["promise.broken"][0]["status"] == "broken"


def test_disputes_report_opened_and_resolved(app):
    listen(app)
    invoice = make_invoice(currency="USD")
    dispute = open_dispute(invoice, "wrong_amount", "It was 10 USD less")
    db.session.commit()
    staff = create_staff("agent@saldo.test", "agent", "correct horse battery")
    resolve_dispute(dispute, staff, "reject", "The amount is right")
    db.session.commit()
    assert [(e.type, e.payload["status"]) for e in events()] == [
        ("dispute.opened", "open"), ("dispute.resolved", "rejected")]


def test_refunds_and_opt_outs_are_reported(app):
    listen(app)
    invoice = make_invoice(currency="USD", amount_minor=3000)
    payment, _ = record_external_payment(invoice.debtor, amount_minor=3000, currency="USD",
                                         method="transfer", reference="T-9",
                                         received_on=datetime.now(UTC).date())
    apply_refund_total(payment, 1000)
    assert opt_out(invoice.debtor, source="test") is True
    assert opt_out(invoice.debtor, source="test") is False
    db.session.commit()
    types = [e.type for e in events()]
    assert types == ["payment.succeeded", "invoice.paid", "payment.refunded",
                     "debtor.opted_out"]
    refunded = events()[2].payload
    assert refunded["refunded_minor"] == 1000 and refunded["status"] == "partially_refunded"
    assert events()[3].payload["customer_id"] == invoice.debtor.external_id


def test_a_rolled_back_operation_reports_nothing(app):
    listen(app)
    invoice = make_invoice(currency="USD")
    db.session.commit()
    open_dispute(invoice, "other", "")
    db.session.rollback()
    assert events() == []


def test_unknown_events_are_a_bug():
    import pytest

    with pytest.raises(ValueError):
        emit("payment.maybe", {})

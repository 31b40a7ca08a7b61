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


def test_every_opt_out_path_reports_debtor_opted_out(app):
    """All channels (unsubscribe link), one channel (a STOP reply goes through
    `opt_out_channel`), and channels switched off on the preferences page."""
    from portal.debtor.preferences import opt_out_channel, save_preferences
    from tests.factories import make_debtor

    listen(app)
    debtor = make_debtor(allow_email=True, allow_sms=True)
    db.session.commit()
    assert opt_out_channel(debtor, "sms", source="reply:1") is True
    assert opt_out_channel(debtor, "sms", source="reply:1") is False  # already off
    db.session.commit()
    save_preferences(debtor, channels={"email": False, "sms": False, "push": False},
                     preferred=None, quiet_start=None, quiet_end=None, language="es",
                     resume=False)
    db.session.commit()
    assert opt_out(debtor, source="unsubscribe_link") is True
    db.session.commit()
    reported = [(e.payload["channel"], e.payload["source"]) for e in events()
                if e.type == "debtor.opted_out"]
    assert reported == [("sms", "reply:1"), ("email", "preferences"),
                        (None, "unsubscribe_link")]
    assert {e.payload["customer_id"] for e in events()} == {debtor.external_id}


def test_a_stored_reply_is_reported_once_and_a_duplicate_not_at_all(app):
    from replies.ingest import ingest_reply
    from tests.factories import make_debtor

    listen(app)
    debtor = make_debtor(email="ana@example.com", phone="+5215512345678", allow_sms=True)
    db.session.commit()
    first = ingest_reply("email", "ana@example.com", "I will pay on Friday",
                         provider_id="<m1@example.com>", subject="Re: your invoice")
    again = ingest_reply("email", "ana@example.com", "I will pay on Friday",
                         provider_id="<m1@example.com>", subject="Re: your invoice")
    assert again.duplicate is True and again.id == first.id
    stop = ingest_reply("sms", "+5215512345678", "STOP", provider_id="SM1")
    ingest_reply("sms", "+5215512345678", "STOP", provider_id="SM1")
    unknown = ingest_reply("sms", "+15550000000", "who is this?", provider_id="SM2")
    replies = [e for e in events() if e.type == "reply.received"]
    assert [e.payload["id"] for e in replies] == [first.id, stop.id, unknown.id]
    shown = replies[0].payload
    assert shown == {
        "object": "reply", "id": first.id, "direction": "inbound",
        "conversation_id": first.conversation_id, "customer_id": debtor.external_id,
        "channel": "email", "kind": "reply", "status": "received",
        "sender": "ana@example.com", "subject": "Re: your invoice",
        "text": "I will pay on Friday", "at": shown["at"], "in_reply_to_message_id": None,
        "action": "unverified_sender"}  # matched by From only: a person decides
    assert replies[1].payload["action"] == "opt_out"
    assert replies[2].payload["customer_id"] is None
    opted = [e.payload for e in events() if e.type == "debtor.opted_out"]
    assert [(p["channel"], p["source"]) for p in opted] == [("sms", f"reply:{stop.id}")]

"""Webhook events are checked before anything is applied: the signature's timestamp, the
event's shape, and the object against the local payment (amount, currency, customer,
debtor, intent). Only a repeated event id is a duplicate; other database errors are 500s."""

from __future__ import annotations

import json
import logging
import time
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from payments import webhooks
from portal.extensions import db
from portal.models import Payment, PaymentAllocation, PaymentIssue, StripeEvent
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import charge_behind_our_back, sign_payload, stripe_event


def _debtor():
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, issued_on=date(2026, 8, 1), amount_minor=663_500_00, currency="BRL")
    db.session.commit()
    return debtor


def _post(client, event, *, timestamp: int | None = None, raw: bytes | None = None):
    payload = raw if raw is not None else json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET,
                                                                 timestamp)})


def _allocated() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)))


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


@pytest.fixture
def charged(stripe_app, client):
    """A pending payment of 663,500.00 BRL whose PaymentIntent succeeded at Stripe, and the
    genuine `payment_intent.succeeded` event for it."""
    sign_in(client, _debtor())
    payment_id, intent_id = charge_behind_our_back(client)
    return payment_id, stripe_event(intent_id)


def _with_intent(event: dict, event_id: str, **changes) -> dict:
    intent = {**event["data"]["object"], **changes}
    return {**event, "id": event_id, "data": {"object": intent}}


@pytest.mark.parametrize("changes, field", [
    ({"amount": 1}, "amount"),
    ({"currency": "usd"}, "currency"),
    ({"customer": "cus_someone_else"}, "customer"),
    ({"metadata": {"payment_id": "1", "debtor_id": "999999"}}, "debtor"),
])
def test_an_event_that_disagrees_with_the_payment_is_not_applied(charged, client, changes,
                                                                 field, caplog):
    payment_id, genuine = charged
    if "metadata" in changes:
        changes["metadata"]["payment_id"] = str(payment_id)
    forged = _with_intent(genuine, "evt_forged_1", **changes)
    with caplog.at_level(logging.WARNING, logger="payments.issues"):
        response = _post(client, forged)
    assert response.status_code == 200 and response.get_json()["status"] == "mismatch"
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "pending" and _allocated() == 0
    issue = db.session.scalar(select(PaymentIssue))
    assert (issue.kind, issue.stripe_ref, issue.payment_id) == ("mismatch", "evt_forged_1",
                                                                payment_id)
    assert issue.debtor_id == payment.debtor_id and field in issue.detail["fields"]
    assert "evt_forged_1" in caplog.text
    # The genuine event still applies.
    assert _post(client, genuine).get_json()["status"] == "ok"
    db.session.refresh(payment)
    assert payment.status == "succeeded" and _allocated() == 663_500_00


def test_a_second_intent_for_a_paid_payment_is_flagged_not_applied(charged, client):
    payment_id, genuine = charged
    assert _post(client, genuine).get_json()["status"] == "ok"
    second = _with_intent(genuine, "evt_second_charge", id="pi_second_one")
    assert _post(client, second).get_json()["status"] == "mismatch"
    payment = db.session.get(Payment, payment_id)
    assert payment.stripe_payment_intent_id == genuine["data"]["object"]["id"]
    issue = db.session.scalar(select(PaymentIssue))
    assert issue.detail["fields"]["payment_intent"] == [payment.stripe_payment_intent_id,
                                                        "pi_second_one"]


@pytest.mark.parametrize("raw", [
    b"[]",
    b"not json at all",
    b'{"id": 42, "type": "payment_intent.succeeded", "data": {"object": {}}}',
    b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {}}',
    b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}',
    b'{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"id": "ch_1", '
    b'"amount": "100", "currency": "brl", "amount_refunded": 1}}}',
    b"\xff\xfe",
])
def test_a_signed_but_malformed_event_is_a_400_and_stores_nothing(stripe_app, client, raw):
    response = _post(client, None, raw=raw)
    assert response.status_code == 400
    assert _events() == 0


@pytest.mark.parametrize("offset, status", [(3600, 400), (-3600, 400), (-60, 200), (60, 200)])
def test_the_signature_timestamp_must_be_within_the_tolerance(charged, client, offset,
                                                              status):
    _, genuine = charged
    response = _post(client, genuine, timestamp=int(time.time()) + offset)
    assert response.status_code == status
    assert _events() == (1 if status == 200 else 0)


def test_a_database_error_is_a_500_and_the_retry_applies_it(charged, client, monkeypatch,
                                                            caplog):
    payment_id, genuine = charged

    def broken(*args, **kwargs):
        raise IntegrityError("UPDATE payment …", {}, Exception("CHECK constraint failed"))

    monkeypatch.setattr(webhooks, "apply_success", broken)
    with caplog.at_level(logging.ERROR, logger="payments.webhooks"):
        response = _post(client, genuine)
    assert response.status_code == 500
    assert genuine["id"] in caplog.text and "Stripe will retry" in caplog.text
    assert _events() == 0
    monkeypatch.undo()
    retry = _post(client, genuine)
    assert retry.status_code == 200 and retry.get_json()["status"] == "ok"
    assert db.session.get(Payment, payment_id).status == "succeeded"
    again = _post(client, genuine)
    assert again.get_json()["status"] == "duplicate" and _events() == 1

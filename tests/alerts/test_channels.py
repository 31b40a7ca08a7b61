"""Each channel end to end against a real local server, through the outbox dispatcher."""

import base64
import json
import os
from urllib.parse import parse_qs

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from alerts.outbox import dispatch
from portal.extensions import db
from portal.models import Message, PushSubscription
from tests.alerts.conftest import queue
from tests.alerts.servers import Recorder
from tests.factories import make_debtor, make_invoice


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_email_over_smtp_with_html_text_and_one_click_unsubscribe(app, smtp_server):
    debtor = make_debtor(name="Ana Ruiz", email="ana@example.com", locale="pt_BR")
    invoice = make_invoice(debtor, external_id="F-77", currency="BRL")
    message = queue(debtor, invoice, key="d:77:pre_2:2026-11-24")
    db.session.commit()
    assert dispatch()["sent"] == 1
    [email] = smtp_server.messages
    assert email["To"] == "ana@example.com" and "F-77" in email["Subject"]
    assert email["List-Unsubscribe"].startswith("<http://localhost/u/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Olá, Ana" in text and "R$" in text and "/l/" in text
    assert "/open.gif" in html and "Ver e pagar" in html
    row = db.session.get(Message, message.id)
    assert row.status == "sent" and row.provider_id == email["Message-ID"]
    assert row.sent_at is not None and row.attempts == 1


def test_message_id_is_derived_from_the_dedupe_key(app, smtp_server):
    debtor = make_debtor()
    queue(debtor, make_invoice(debtor), key="same-key")
    db.session.commit()
    dispatch()
    first = smtp_server.messages[0]["Message-ID"]
    db.session.execute(Message.__table__.update().values(status="pending"))
    db.session.commit()
    dispatch()
    assert smtp_server.messages[1]["Message-ID"] == first


@pytest.fixture
def twilio(app):
    def respond(request):
        form = parse_qs(request["body"].decode())
        if form["To"][0].endswith("0000000"):
            return 400, {"code": 21211, "message": "invalid To"}
        if form["To"][0].endswith("5555555"):
            return 503, {"message": "busy"}
        return 201, {"sid": f"SM{len(server.requests):032d}", "status": "queued"}

    server = Recorder(respond)
    app.config.update(SMS_API_BASE=server.url, SMS_ACCOUNT_SID="AC123", SMS_AUTH_TOKEN="tok",
                      SMS_FROM="+15550001", WHATSAPP_FROM="+15550002")
    yield server
    server.stop()


@pytest.mark.parametrize("channel, to, sender", [
    ("sms", "+573001234567", "+15550001"),
    ("whatsapp", "whatsapp:+573001234567", "whatsapp:+15550002"),
])
def test_sms_and_whatsapp_through_a_twilio_compatible_api(app, twilio, channel, to, sender):
    debtor = make_debtor(phone="+573001234567", allow_whatsapp=True)
    message = queue(debtor, make_invoice(debtor, external_id="F-5"), channel=channel)
    db.session.commit()
    assert dispatch()["sent"] == 1
    [request] = twilio.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"AC123:tok").decode()
    assert len(request["headers"]["idempotency-key"]) == 32
    form = parse_qs(request["body"].decode())
    assert form["To"] == [to] and form["From"] == [sender]
    assert "F-5" in form["Body"][0] and "/l/" in form["Body"][0]
    assert db.session.get(Message, message.id).provider_id == f"SM{1:032d}"


def test_provider_errors_retry_or_fail(app, twilio):
    busy = make_debtor(phone="+575555555")
    wrong = make_debtor(phone="+570000000")
    retry = queue(busy, make_invoice(busy), channel="sms")
    failed = queue(wrong, make_invoice(wrong), channel="sms")
    db.session.commit()
    counts = dispatch()
    assert counts["retry"] == 1 and counts["failed"] == 1
    retry, failed = db.session.get(Message, retry.id), db.session.get(Message, failed.id)
    assert retry.status == "pending" and retry.send_at > retry.claimed_at
    assert "503" in retry.last_error
    assert failed.status == "failed" and "400" in failed.last_error


def test_without_an_sms_api_the_demo_records_to_the_outbox_only(app):
    app.config["SMS_API_BASE"] = None
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor), channel="sms")
    db.session.commit()
    assert dispatch()["sent"] == 1
    assert db.session.get(Message, message.id).provider_id == f"outbox:{message.id}"


def _subscription_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    return private, b64(public), os.urandom(16)


@pytest.fixture
def vapid(app):
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    # These tests push to a local recorder on 127.0.0.1, which production always refuses.
    app.config.update(VAPID_PRIVATE_KEY=b64(raw), VAPID_SUBJECT="mailto:ops@saldo.test",
                      PUSH_CHECK_ENDPOINTS=False)
    return key


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_vapid(app, vapid):
    server = Recorder(lambda request: (201, {}))
    try:
        private, p256dh, auth = _subscription_keys()
        debtor = make_debtor(allow_push=True, locale="en_US")
        db.session.add(PushSubscription(debtor_id=debtor.id, endpoint=f"{server.url}/push/1",
                                        p256dh=p256dh, auth=b64(auth)))
        message = queue(debtor, make_invoice(debtor, external_id="F-88"), channel="push")
        db.session.commit()
        assert dispatch()["sent"] == 1
        [request] = server.requests
        assert request["headers"]["content-encoding"] == "aes128gcm"
        assert request["headers"]["authorization"].startswith("vapid t=")
        assert len(request["headers"]["topic"]) == 32
        payload = json.loads(http_ece.decrypt(request["body"], private_key=private,
                                              auth_secret=auth, version="aes128gcm"))
        assert "F-88" in payload["title"] and "/l/" in payload["url"]
        assert "was due" in payload["body"] and "COP150,000 was due" in payload["body"]
        assert db.session.get(Message, message.id).status == "sent"
    finally:
        server.stop()


def test_a_push_subscription_that_is_gone_is_deleted(app, vapid):
    server = Recorder(lambda request: (410, {"error": "gone"}))
    try:
        _, p256dh, auth = _subscription_keys()
        debtor = make_debtor(allow_push=True)
        db.session.add(PushSubscription(debtor_id=debtor.id, endpoint=f"{server.url}/push/2",
                                        p256dh=p256dh, auth=b64(auth)))
        message = queue(debtor, make_invoice(debtor), channel="push")
        db.session.commit()
        assert dispatch()["failed"] == 1
        assert db.session.scalars(select(PushSubscription)).all() == []
        row = db.session.get(Message, message.id)
        assert row.status == "failed" and "410" in row.last_error
    finally:
        server.stop()

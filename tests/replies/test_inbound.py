"""Inbound webhooks, the mail sink handoff and the IMAP poller, with real SMTP both ways."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr

import pytest
from sqlalchemy import func, select

from alerts.outbox import dispatch
from portal.extensions import db
from portal.models import InboundMessage
from replies.email_in import fresh_text
from replies.imap import poll_mailbox
from replies.tokens import reply_address
from replies.twilio import signature
from tests.alerts.conftest import queue
from tests.factories import make_debtor, make_invoice

SECRET = "inbound-test-secret"


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


@pytest.fixture
def inbound_app(app):
    app.config.update(INBOUND_EMAIL_SECRET=SECRET, SMS_AUTH_TOKEN="twilio-token")
    return app


def reply_to(original: EmailMessage, text: str, sender: str) -> EmailMessage:
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = original["Reply-To"]
    answer["Subject"] = "Re: " + original["Subject"]
    answer["Message-ID"] = "<answer-1@mail.example.com>"
    answer["In-Reply-To"] = original["Message-ID"]
    answer["References"] = original["Message-ID"]
    answer.set_content(f"{text}\n\nOn Tue, 24 Nov 2026 Saldo wrote:\n> {original['Subject']}\n")
    return answer


def test_a_reply_to_a_real_reminder_comes_back_through_the_mail_sink(inbound_app, client,
                                                                      smtp_server):
    """Reminder out through SMTP, reply in through SMTP: the sink hands it to
    POST /inbound/email and it lands in the debtor's conversation, threaded."""
    debtor = make_debtor(email="marta@example.com")
    reminder = queue(debtor, make_invoice(debtor))
    db.session.commit()
    assert dispatch()["sent"] == 1
    [sent] = smtp_server.messages
    assert parseaddr(sent["Reply-To"])[1] == reply_address(debtor.id)

    def handoff(raw: bytes) -> None:
        response = client.post("/inbound/email", data=raw, content_type="message/rfc822",
                               headers={"X-Saldo-Inbound-Secret": SECRET})
        if response.status_code != 200:
            raise OSError(response.status_code)

    smtp_server.handoff = handoff
    answer = reply_to(sent, "No tengo el dinero aún, pagaré el 15", "Marta <marta@example.com>")
    with smtplib.SMTP("127.0.0.1", inbound_app.config["SMTP_PORT"]) as smtp:
        smtp.send_message(answer)
    assert len(smtp_server.handed_off) == 1 and len(smtp_server.messages) == 1
    db.session.expire_all()
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert inbound.debtor_id == debtor.id and inbound.matched_by == "token"
    assert inbound.in_reply_to_id == reminder.id
    assert inbound.text == "No tengo el dinero aún, pagaré el 15"  # quoted history cut
    assert inbound.provider_id == "<answer-1@mail.example.com>"


def test_a_sink_handoff_failure_asks_the_sender_to_retry(app, smtp_server):
    def broken(raw: bytes) -> None:
        raise OSError("web app down")

    smtp_server.handoff = broken
    message = EmailMessage()
    message["From"], message["To"] = "a@example.com", reply_address(1)
    message["Subject"] = "hola"
    message.set_content("hola")
    with smtplib.SMTP("127.0.0.1", app.config["SMTP_PORT"]) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(message)
    assert refused.value.smtp_code == 451


def test_inbound_email_needs_the_shared_secret(inbound_app, client):
    debtor = make_debtor()
    db.session.commit()
    body = {"from": debtor.email, "to": reply_address(debtor.id), "text": "hola"}
    assert client.post("/inbound/email", json=body).status_code == 403
    assert client.post("/inbound/email?secret=wrong", json=body).status_code == 403
    assert stored() == 0
    inbound_app.config["INBOUND_EMAIL_SECRET"] = None  # unset: everything refused
    assert client.post(f"/inbound/email?secret={SECRET}", json=body).status_code == 403
    inbound_app.config["INBOUND_EMAIL_SECRET"] = SECRET
    ok = client.post("/inbound/email", json=body, headers={"X-Saldo-Inbound-Secret": SECRET})
    assert ok.status_code == 200 and ok.json["status"] == "stored" and stored() == 1


@pytest.mark.parametrize("shape", ["sendgrid", "mailgun", "postmark"])
def test_provider_inbound_parse_formats(inbound_app, client, shape):
    debtor = make_debtor()
    db.session.commit()
    to = reply_address(debtor.id)
    text = "Ya pagué ayer\n\n> old reminder"
    auth = {"X-Saldo-Inbound-Secret": SECRET}
    if shape == "sendgrid":
        response = client.post("/inbound/email", headers=auth, data={
            "from": "Someone <x@example.org>", "to": to, "subject": "Re: factura",
            "text": text, "headers": "Message-ID: <sg-1@x>\nIn-Reply-To: <nope@y>\n"})
    elif shape == "mailgun":
        response = client.post("/inbound/email", headers=auth, data={
            "sender": "x@example.org", "from": "Someone <x@example.org>", "recipient": to,
            "subject": "Re: factura", "body-plain": text, "stripped-text": "Ya pagué ayer",
            "Message-Id": "<mg-1@x>"})
    else:
        response = client.post("/inbound/email", headers=auth, json={
            "From": "x@example.org", "OriginalRecipient": to, "To": to,
            "Subject": "Re: factura", "TextBody": text, "StrippedTextReply": "Ya pagué ayer",
            "MessageID": "pm-1", "Headers": [{"Name": "In-Reply-To", "Value": "<nope@y>"}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert (inbound.debtor_id, inbound.text) == (debtor.id, "Ya pagué ayer")
    assert inbound.provider_id


def _twilio_post(client, params: dict, token: str = "twilio-token", **headers):  # noqa: S107
    url = "http://localhost/inbound/twilio"
    sig = signature(token, url, params)
    return client.post("/inbound/twilio", data=params,
                       headers={"X-Twilio-Signature": sig, **headers})


def test_twilio_signature_is_verified_and_retries_are_stored_once(inbound_app, client):
    debtor = make_debtor(phone="+573004445566")
    db.session.commit()
    params = {"From": "whatsapp:+573004445566", "To": "whatsapp:+15550001",
              "Body": "Puedo pagar el viernes", "MessageSid": "SM0001", "NumMedia": "0"}
    forged = _twilio_post(client, params, token="not-the-token")
    assert forged.status_code == 403 and stored() == 0
    tampered = client.post("/inbound/twilio", data={**params, "Body": "STOP"}, headers={
        "X-Twilio-Signature": signature("twilio-token", "http://localhost/inbound/twilio",
                                        params)})
    assert tampered.status_code == 403 and stored() == 0
    first = _twilio_post(client, params)
    again = _twilio_post(client, params)
    assert first.status_code == again.status_code == 200
    assert first.mimetype == "text/xml" and b"<Response>" in first.data
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert (inbound.channel, inbound.debtor_id) == ("whatsapp", debtor.id)


def test_inbound_floods_are_limited(inbound_app, client):
    inbound_app.config["INBOUND_SENDER_RATE_LIMIT"] = "3 per minute"
    codes = [_twilio_post(client, {"From": "+15550199", "Body": f"spam {i}",
                                   "MessageSid": f"SMf{i}"}).status_code for i in range(6)]
    assert codes[:3] == [200] * 3 and set(codes[3:]) == {429}
    assert stored() == 3


def test_fresh_text_cuts_quoted_history():
    assert fresh_text("Pago el 15\n\nEl lun, 3 nov 2026 Saldo escribió:\n> hola") == \
        "Pago el 15"
    assert fresh_text("> only quoted") == "> only quoted"


class FakeImap:
    """The imaplib boundary: UID SEARCH / FETCH / STORE over real RFC 822 bytes."""

    def __init__(self, messages: dict[bytes, bytes]):
        self.messages = messages
        self.seen: set[bytes] = set()
        self.logged_out = False

    def select(self, folder):
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [u for u in self.messages if u not in self.seen]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid = args[0]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {n})", self.messages[uid]), b")"]
        if command == "STORE":
            self.seen.add(args[0])
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        self.logged_out = True


def test_imap_poller_ingests_unseen_mail_once(app):
    debtor = make_debtor(email="pedro@example.com")
    db.session.commit()
    mail = EmailMessage()
    mail["From"], mail["To"] = "Pedro <pedro@example.com>", "cobranza@acme.example"
    mail["Subject"], mail["Message-ID"] = "Re: factura", "<imap-1@example.com>"
    mail.set_content("¿Puedo pagar en dos partes?")
    fake = FakeImap({b"7": bytes(mail), b"8": b"From: nobody\r\n\r\n"})
    counts = poll_mailbox(client=fake)
    assert counts == {"stored": 1, "duplicate": 0, "refused": 1}
    assert fake.seen == {b"7", b"8"} and fake.logged_out
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert inbound.debtor_id == debtor.id and inbound.matched_by == "contact"
    fake.seen.clear()  # the mailbox shows it again (say the flag was lost): stored once
    assert poll_mailbox(client=fake)["duplicate"] == 1 and stored() == 1
    assert poll_mailbox() == {"stored": 0, "duplicate": 0, "refused": 0}  # no IMAP_HOST

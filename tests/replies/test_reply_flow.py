"""A reply arrives and Saldo acts on it: every intent end to end through `ingest_reply`
(the one way in), the understanding handler, the shared operations and the outbox, on
SQLite and PostgreSQL; and replies racing on one invoice from real threads."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from alerts.calendar import Profile, answer_send_at, profile_for
from portal.extensions import db
from portal.models import (
    Conversation,
    Debtor,
    Dispute,
    InboundMessage,
    Message,
    PromiseToPay,
    ReminderPause,
    ReplyUnderstanding,
)
from replies import respond as respond_module
from replies.ingest import ingest_reply
from replies.tokens import reply_address
from tests.factories import make_debtor, make_invoice

# Thursday 26 November 2026, 15:00 in Bogotá.
RECEIVED = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
FRIDAY = date(2026, 11, 27)


@pytest.fixture
def debtor(app):
    debtor = make_debtor(name="Camila Restrepo", locale="es_CO", email="camila@example.com",
                         phone="+573001112233", allow_sms=True, allow_email=True)
    make_invoice(debtor, external_id="F-2026-10", issued_on=date(2026, 10, 20),
                 due_on=date(2026, 11, 30), amount_minor=450_000_00)
    db.session.commit()
    return debtor


def reply(debtor, text, channel="sms", provider_id=None, received_at=RECEIVED):
    """A reply as it arrives: an email to the debtor's signed reply address, an SMS from
    the number on file."""
    sender = debtor.email if channel == "email" else debtor.phone
    to = reply_address(debtor.id) if channel == "email" else None
    return ingest_reply(channel, sender, text, to=to, received_at=received_at,
                        provider_id=provider_id)


def understanding(inbound) -> ReplyUnderstanding:
    return db.session.scalar(select(ReplyUnderstanding).where(
        ReplyUnderstanding.inbound_message_id == inbound.id))


def answers(debtor) -> list[Message]:
    return list(db.session.scalars(select(Message).where(
        Message.debtor_id == debtor.id, Message.kind == "reply").order_by(Message.id)))


def test_les_pago_el_viernes_200_mil_records_pauses_confirms_and_is_handled(debtor):
    inbound = reply(debtor, "les pago el viernes 200 mil", channel="email",
                    provider_id="<r1@mail.example.com>")

    promise = db.session.scalar(select(PromiseToPay).where(PromiseToPay.debtor_id == debtor.id))
    assert (promise.promised_on, promise.amount_minor, promise.currency) == \
        (FRIDAY, 200_000_00, "COP")
    assert promise.status == "open"
    pause = db.session.scalar(select(ReminderPause).where(ReminderPause.debtor_id == debtor.id))
    assert pause.until == FRIDAY and pause.reason == "promise"
    [answer] = answers(debtor)
    assert answer.channel == "email" and answer.status == "pending"
    assert "200.000" in answer.body and "27 de noviembre de 2026" in answer.body
    assert answer.thread_ref == "<r1@mail.example.com>"
    assert answer.subject is None or answer.subject.startswith("Re:")
    found = understanding(inbound)
    assert (found.intent, found.action, found.handled) == ("promise", "promise_recorded", True)
    assert found.promise_id == promise.id and found.answer_message_id == answer.id
    assert inbound.read_at is not None  # nothing left for a person
    assert db.session.get(Conversation, inbound.conversation_id).status == "done"


def test_already_paid_pauses_and_leaves_a_task_for_staff(debtor):
    inbound = reply(debtor, "ya pague ayer por nequi")
    found = understanding(inbound)
    assert (found.intent, found.action, found.handled) == ("already_paid", "verify_payment",
                                                           False)
    pause = db.session.scalar(select(ReminderPause).where(ReminderPause.debtor_id == debtor.id))
    assert pause.reason == "payment_claim" and pause.until == date(2026, 11, 29)
    [answer] = answers(debtor)
    assert answer.channel == "sms" and "dispute%3Freason%3Dalready_paid" in answer.body
    assert inbound.read_at is None  # the task: someone checks the payment
    assert db.session.get(Conversation, inbound.conversation_id).status == "open"


def test_hardship_gets_plan_offers_from_the_policy(debtor):
    inbound = reply(debtor, "perdi el trabajo y no tengo como pagar, necesito tiempo")
    found = understanding(inbound)
    assert (found.intent, found.action) == ("hardship", "plan_offered")
    [answer] = answers(debtor)
    assert "/plans" in answer.body and "$" in answer.body


def test_dispute_opens_a_dispute_and_pauses_that_invoice(debtor):
    inbound = reply(debtor, "esa factura no es mia, yo nunca contrate ese servicio")
    found = understanding(inbound)
    assert (found.intent, found.action) == ("dispute", "dispute_opened")
    dispute = db.session.get(Dispute, found.dispute_id)
    assert dispute.status == "open" and dispute.invoice.external_id == "F-2026-10"
    assert "F-2026-10" in answers(debtor)[0].body


def test_stop_opts_out_of_that_channel_with_one_confirmation(debtor):
    inbound = reply(debtor, "no me escriban mas por aqui por favor")
    db.session.refresh(debtor)
    assert inbound.action == "opt_out"
    assert debtor.allow_sms is False and debtor.allow_email is True
    confirmations = db.session.scalars(select(Message).where(
        Message.debtor_id == debtor.id, Message.kind == "opt_out_confirmation")).all()
    assert len(confirmations) == 1 and confirmations[0].channel == "sms"
    assert answers(debtor) == []


def test_a_question_is_answered_from_the_account(debtor):
    inbound = reply(debtor, "cuanto debo?")
    found = understanding(inbound)
    assert (found.intent, found.action, found.handled) == ("question", "answered", True)
    [answer] = answers(debtor)
    assert "450.000" in answer.body


def test_other_waits_for_a_person_without_an_answer(debtor):
    inbound = reply(debtor, "buenas tardes, quien habla?")
    found = understanding(inbound)
    assert found.handled is False
    assert inbound.read_at is None
    assert db.session.get(Conversation, inbound.conversation_id).status == "open"


def test_portuguese_and_english_debtors_are_read_in_their_language(app):
    ana = make_debtor(name="Ana Souza", locale="pt_BR", timezone="America/Sao_Paulo",
                      country="BR", phone="+5511988887777")
    make_invoice(ana, amount_minor=1_200_00, currency="BRL", due_on=date(2026, 12, 10))
    john = make_debtor(name="John Carter", locale="en_US", timezone="America/New_York",
                       country="US", phone="+12125550101")
    make_invoice(john, amount_minor=300_00, currency="USD", due_on=date(2026, 12, 10))
    db.session.commit()
    pt = reply(ana, "vou pagar dia 10 tb")
    en = reply(john, "I'll pay on Friday pls")
    assert understanding(pt).language == "pt" and understanding(pt).promised_on == \
        date(2026, 12, 10)
    assert understanding(en).language == "en" and understanding(en).promised_on == FRIDAY
    assert "10 de dezembro de 2026" in answers(ana)[0].body
    assert "November 27, 2026" in answers(john)[0].body


def test_a_retried_delivery_is_understood_and_answered_once(debtor):
    first = reply(debtor, "les pago el viernes", provider_id="SM-1")
    again = reply(debtor, "les pago el viernes", provider_id="SM-1")
    assert again.duplicate and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(ReplyUnderstanding)) == 1
    assert len(answers(debtor)) == 1
    assert db.session.scalar(select(func.count()).select_from(PromiseToPay)) == 1


def test_unknown_senders_and_contact_form_messages_wait_for_a_person(debtor):
    stranger = ingest_reply("sms", "+573009999999", "les pago el viernes",
                            received_at=RECEIVED)
    written = ingest_reply("portal", debtor.email, "les pago el viernes",
                           debtor_id=debtor.id, received_at=RECEIVED)
    assert understanding(stranger) is None and understanding(written) is None
    assert db.session.scalar(select(func.count()).select_from(PromiseToPay)) == 0


def test_a_failing_understanding_loses_nothing(debtor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file corrupted")

    monkeypatch.setattr(respond_module, "act", broken)
    inbound = reply(debtor, "les pago el viernes")
    db.session.expire_all()
    stored = db.session.get(InboundMessage, inbound.id)
    assert stored.text == "les pago el viernes" and stored.action == "needs_person"
    assert stored.read_at is None
    assert db.session.scalar(select(func.count()).select_from(ReplyUnderstanding)) == 0


def test_a_promise_outside_the_window_is_not_recorded_and_offers_a_plan(debtor):
    inbound = reply(debtor, "les pago el 15 de marzo")
    assert understanding(inbound).action == "promise_outside_window"
    assert db.session.scalar(select(func.count()).select_from(PromiseToPay)) == 0
    assert "/plans" in answers(debtor)[0].body


def test_two_replies_promising_on_one_invoice_at_once_leave_one_open_promise(app, debtor):
    """Two channels, two threads, one invoice: exactly one promise stays open."""
    debtor_id = debtor.id
    texts = [("sms", "les pago el viernes"), ("email", "les pago el lunes 100 mil")]
    barrier = threading.Barrier(len(texts))
    errors: list = []

    def run(channel: str, text: str) -> None:
        with app.app_context():
            try:
                person = db.session.get(Debtor, debtor_id)
                barrier.wait()
                reply(person, text, channel=channel, provider_id=f"race-{channel}")
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.remove()
    assert errors == []
    promises = db.session.scalars(select(PromiseToPay).where(
        PromiseToPay.debtor_id == debtor_id)).all()
    assert len(promises) == 2
    assert sorted(p.status for p in promises) == ["cancelled", "open"]
    assert db.session.scalar(select(func.count()).select_from(ReplyUnderstanding)) == 2
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.kind == "reply")) == 2


def test_answers_go_out_at_once_while_the_debtors_message_is_fresh(app):
    from dataclasses import replace

    from alerts.settings import current_policy

    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 03:00 in Bogotá
    default = Profile(windows={}, per_day=1, per_week=3)
    assert answer_send_at(default, "CO", "America/Bogota", now - timedelta(days=2), now) == now
    colombia = profile_for(replace(current_policy(), jurisdiction="CO"))
    assert answer_send_at(colombia, "CO", "America/Bogota", now - timedelta(minutes=5),
                          now) == now
    # Answered a day late (a backlog): it waits for the next sending window.
    later = answer_send_at(colombia, "CO", "America/Bogota", now - timedelta(days=1), now)
    # (the policy's own window opens at 8:00, inside Colombia's 7:00-19:00)
    assert later == datetime(2026, 11, 26, 13, 0, tzinfo=UTC)


def test_an_email_with_only_a_forged_from_is_understood_but_not_acted_on(debtor):
    """Anyone can write a debtor's address in From: without the signed reply address Saldo
    opens no dispute and records no promise on their account; a person decides."""
    inbound = ingest_reply("email", debtor.email, "esa factura no es mia, no la reconozco",
                           to="cobranza@example.com", received_at=RECEIVED)
    found = understanding(inbound)
    assert inbound.matched_by == "contact"
    assert (found.intent, found.action, found.handled) == ("dispute", "unverified_sender",
                                                           False)
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0
    assert answers(debtor) == [] and inbound.read_at is None

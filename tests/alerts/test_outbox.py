"""The outbox: atomic claims, re-checks at send time, expiry, backoff, leases."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from alerts.channels import ChannelError
from alerts.outbox import MAX_ATTEMPTS, backoff, claim, dispatch
from portal.extensions import db
from portal.models import Dispute, Message, PromiseToPay
from tests.alerts.conftest import queue
from tests.factories import make_debtor, make_invoice, make_payment


class FakeChannel:
    name = "email"

    def __init__(self, error: ChannelError | None = None):
        self.sent, self.error = [], error

    def send(self, message):
        if self.error:
            raise self.error
        self.sent.append(message)
        return f"fake-{message.message_id}"

    def close(self):
        return None


def test_claims_never_overlap_and_respect_send_at(app):
    debtor = make_debtor()
    for n in range(5):
        queue(debtor, make_invoice(debtor), key=f"k{n}")
    queue(debtor, make_invoice(debtor), key="later",
          send_at=datetime.now(UTC) + timedelta(hours=2))
    db.session.commit()
    now = datetime.now(UTC)
    first, second = claim(now, 3, 300), claim(now, 3, 300)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claim(now, 3, 300) == []
    # A stale claim (its dispatcher died) is taken over after the lease.
    assert sorted(claim(now + timedelta(seconds=301), 10, 300)) == sorted(first + second)


def test_sent_rows_record_the_provider_id(app):
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    fake = FakeChannel()
    assert dispatch(channels={"email": fake})["sent"] == 1
    row = db.session.get(Message, message.id)
    assert row.provider_id == f"fake-{message.id}" and row.status == "sent"
    assert dispatch(channels={"email": fake})["sent"] == 0


def test_reasons_to_cancel_are_checked_again_at_send_time(app):
    rows = {}
    paid = make_debtor()
    invoice = make_invoice(paid)
    make_payment(invoice)
    invoice.status = "paid"
    rows["paid"] = queue(paid, invoice)
    out = make_debtor(opted_out_at=datetime.now(UTC))
    rows["opted_out"] = queue(out, make_invoice(out))
    disputed = make_debtor()
    d_invoice = make_invoice(disputed)
    db.session.add(Dispute(debtor_id=disputed.id, invoice_id=d_invoice.id, reason="other"))
    rows["disputed"] = queue(disputed, d_invoice)
    promised = make_debtor()
    p_invoice = make_invoice(promised)
    db.session.add(PromiseToPay(debtor_id=promised.id, invoice_id=p_invoice.id,
                                promised_on=date.today() + timedelta(days=3), amount_minor=5,
                                currency="COP"))
    rows["promised"] = queue(promised, p_invoice)
    no_sms = make_debtor(allow_sms=False)
    rows["channel"] = queue(no_sms, make_invoice(no_sms), channel="sms")
    db.session.commit()
    fake = FakeChannel()
    assert dispatch(channels={"email": fake, "sms": fake})["cancelled"] == 5
    assert fake.sent == []
    for reason, message in rows.items():
        row = db.session.get(Message, message.id)
        assert row.status == "cancelled"
        assert row.last_error == ("opted_out" if reason == "channel" else reason)


def test_a_message_whose_window_closed_is_cancelled_not_sent_late(app):
    debtor = make_debtor()
    now = datetime.now(UTC)
    message = queue(debtor, make_invoice(debtor), send_at=now - timedelta(hours=13),
                    not_after=now - timedelta(hours=1))
    db.session.commit()
    fake = FakeChannel()
    assert dispatch(channels={"email": fake})["cancelled"] == 1
    assert db.session.get(Message, message.id).last_error == "window_closed"


def test_transient_failures_back_off_then_fail(app):
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    flaky = FakeChannel(ChannelError("try later", transient=True))
    now = datetime.now(UTC)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        counts = dispatch(now=now, channels={"email": flaky})
        row = db.session.get(Message, message.id)
        db.session.refresh(row)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert counts["retry"] == 1 and row.status == "pending"
            assert row.send_at == now + backoff(attempt)
            now = row.send_at
        else:
            assert counts["failed"] == 1 and row.status == "failed"
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 5, 9)] == \
        [1, 4, 16, 64, 256, 360]


def test_permanent_failures_are_recorded_at_once(app):
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    counts = dispatch(channels={"email": FakeChannel(ChannelError("bad address", False))})
    assert counts["failed"] == 1
    row = db.session.scalar(select(Message).where(Message.id == message.id))
    assert row.status == "failed" and row.last_error == "bad address"


def test_cli_dispatch(app, runner, smtp_server):
    debtor = make_debtor()
    queue(debtor, make_invoice(debtor))
    db.session.commit()
    result = runner.invoke(args=["alerts", "dispatch"])
    assert result.exit_code == 0 and "sent=1" in result.output
    assert len(smtp_server.messages) == 1


def test_a_stale_claim_whose_window_closed_is_not_resent_at_night(app):
    """A dispatcher died mid-send at 19:59; when its lease expires the debtor's sending
    window has closed, so the row is cancelled instead of being sent during quiet hours."""
    debtor = make_debtor()
    now = datetime.now(UTC)
    message = queue(debtor, make_invoice(debtor), status="sending", attempts=1,
                    claimed_at=now - timedelta(minutes=10), send_at=now - timedelta(minutes=11),
                    not_after=now - timedelta(minutes=5))
    db.session.commit()
    fake = FakeChannel()
    counts = dispatch(now=now, channels={"email": fake})
    assert fake.sent == [] and counts["sent"] == 0
    row = db.session.get(Message, message.id)
    assert row.status == "cancelled" and row.last_error == "window_closed"



def test_claim_never_takes_a_row_whose_window_closed(app):
    debtor = make_debtor()
    now = datetime.now(UTC)
    queue(debtor, make_invoice(debtor), key="late", not_after=now - timedelta(minutes=1))
    queue(debtor, make_invoice(debtor), key="stale", status="sending", attempts=1,
          claimed_at=now - timedelta(hours=1), not_after=now - timedelta(minutes=1))
    db.session.commit()
    assert claim(now, 10, 300) == []


def test_a_template_that_fails_to_render_fails_its_message_not_the_outbox(app):
    """An override that breaks at render time (saved before the console checked renders, or
    failing only on some debtor's data) fails its own messages; the others still go out."""
    from portal.models import MessageTemplate

    db.session.add(MessageTemplate(tone="firm", channel="email", locale="es", subject="Aviso",
                                   body="Hola {{ name.nope.x }} {{ link }}"))
    broken_debtor, fine_debtor = make_debtor(), make_debtor()
    broken = queue(broken_debtor, make_invoice(broken_debtor), tone="firm")
    fine = queue(fine_debtor, make_invoice(fine_debtor))
    db.session.commit()
    fake = FakeChannel()
    counts = dispatch(channels={"email": fake})
    assert counts["sent"] == 1 and counts["failed"] == 1
    assert [m.message_id for m in fake.sent] == [fine.id]
    row = db.session.get(Message, broken.id)
    assert row.status == "failed" and row.last_error.startswith("render_failed")
    assert db.session.get(Message, fine.id).status == "sent"

"""The demo portfolio is deterministic and shows every behaviour the product is for."""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.demo import seed_demo
from portal.models import Debtor, Dispute, Invoice, PromiseToPay

TODAY = date(2026, 11, 22)


def fingerprint(db):
    rows = db.session.execute(
        select(Invoice.external_id, Invoice.amount_minor, Invoice.status, Invoice.settled_on)
        .order_by(Invoice.external_id)
    ).all()
    return hash(tuple(rows))


def test_seed_is_deterministic_and_idempotent(db):
    summary = seed_demo(debtors=40, months=12, seed=3, today=TODAY)
    first = fingerprint(db)
    assert summary["debtors"] == 40 and not summary["skipped"]
    assert seed_demo(debtors=40, months=12, seed=3, today=TODAY)["skipped"]
    db.session.query(Invoice).delete()
    db.session.query(PromiseToPay).delete()
    db.session.query(Dispute).delete()
    from portal.models import Payment, PaymentAllocation

    db.session.query(PaymentAllocation).delete()
    db.session.query(Payment).delete()
    db.session.query(Debtor).delete()
    db.session.commit()
    seed_demo(debtors=40, months=12, seed=3, today=TODAY)
    assert fingerprint(db) == first


def test_portfolio_is_lively(db):
    seed_demo(debtors=120, months=12, seed=7, today=TODAY)
    locales = set(db.session.scalars(select(Debtor.locale)))
    assert {"es_CO", "es_MX", "pt_BR", "en_US"} <= locales
    currencies = set(db.session.scalars(select(Invoice.currency)))
    assert currencies == {"COP", "MXN", "BRL", "USD"}
    upcoming = db.session.scalar(
        select(func.count()).select_from(Invoice).where(
            Invoice.status == "open", Invoice.due_on > TODAY,
            Invoice.due_on <= TODAY + timedelta(days=30))
    )
    assert upcoming >= 60
    late = db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.settled_on > Invoice.due_on)
    )
    settled = db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.settled_on.is_not(None))
    )
    assert 0.1 < late / settled < 0.5
    assert db.session.scalar(select(func.count()).select_from(Dispute)) > 0
    statuses = set(db.session.scalars(select(PromiseToPay.status)))
    assert "broken" in statuses
    first = db.session.scalar(select(func.min(Invoice.issued_on)))
    assert first <= TODAY - timedelta(days=330)


def test_the_printed_links_are_the_debtors_who_got_a_reminder(app, db):
    """A newcomer follows a reminder from the mail sink to the same account the demo
    printed: debtors with a sent email reminder are printed first in each language."""
    from datetime import UTC, datetime

    from portal.debtor.cli import demo_links
    from portal.models import Message

    seed_demo(debtors=60, months=6, seed=5, today=TODAY)
    plain = demo_links("http://demo.test")
    first_es = plain[0].split("(")[1].split(")")[0]
    candidates = db.session.scalars(
        select(Debtor).where(Debtor.locale == "es_CO", Debtor.external_id.like("DEMO-%"),
                             Debtor.external_id != first_es, Debtor.email.is_not(None),
                             Debtor.identity_hash.is_not(None))
        .order_by(Debtor.external_id.desc())).all()
    reminded = next(d for d in candidates if any(i.status == "open" for i in d.invoices))
    now = datetime.now(UTC)
    db.session.add(Message(debtor_id=reminded.id, channel="email", template="reminder",
                           rule="pre_3", reason="due_soon", locale="es_CO",
                           dedupe_key=f"demo-test-{reminded.id}", status="sent", send_at=now,
                           sent_at=now))
    db.session.commit()
    lines = demo_links("http://demo.test")
    assert f"({reminded.external_id})" in lines[0] and "mail sink" in lines[0]
    assert reminded.email in lines[0]
    assert "mail sink" not in lines[1]  # no reminder went to the pt_BR debtor printed


def test_demo_registers_a_webhook_receiver_and_shows_deliveries(db, app, tmp_path):
    """What `saldo demo` does for webhooks: an endpoint for every event on a local receiver
    (started the same way, as a child process), and a sample transfer delivered to it."""
    import os
    import subprocess
    import sys

    from portal import devstack
    from portal.models import Message, WebhookAttempt
    from tests.conftest import free_port

    seed_demo(debtors=20, months=6, seed=3, today=TODAY)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True  # development mode, as `saldo demo` runs
    port = free_port()
    endpoint = devstack.demo_webhook_endpoint(f"http://127.0.0.1:{port}/saldo/webhooks")
    again = devstack.demo_webhook_endpoint(f"http://127.0.0.1:{port}/saldo/webhooks")
    assert again.id == endpoint.id
    out = (tmp_path / "receiver.log").open("w")
    child = subprocess.Popen([sys.executable, "-m", "portal.webhooks.receiver", "--port",
                              str(port), "--secret", endpoint.secret], stdout=out,
                             env=dict(os.environ))
    try:
        assert devstack._wait_for(port, 15)
        counts = devstack.report_sample_transfer()
        assert counts["delivered"] == 2
        assert devstack.report_sample_transfer()["delivered"] == 0  # once per demo database
    finally:
        child.terminate()
        child.wait(timeout=10)
        out.close()
    printed = (tmp_path / "receiver.log").read_text()
    assert "webhook payment.succeeded" in printed and "webhook invoice.paid" in printed
    assert "INVALID" not in printed
    statuses = {m.status for m in db.session.scalars(select(Message).where(
        Message.kind == "webhook"))}
    assert statuses == {"sent"}
    assert {a.status_code for a in db.session.scalars(select(WebhookAttempt))} == {200}


def test_the_demo_emails_a_reminder_in_each_language_it_prints(app, db, smtp_server):
    """`make demo` sends the next sending days' reminders until a Spanish, a Portuguese and
    an English debtor each have one in the mail sink, so each printed link can be followed
    from a reminder (issue 17)."""
    from portal import devstack
    from portal.debtor.cli import demo_links

    seed_demo()
    devstack._train_and_score()
    devstack._send_next_reminders()
    assert devstack._emailed_languages() >= {"es", "pt", "en"}
    lines = demo_links("http://demo.test")
    assert len(lines) == 3 and all("see the mail sink" in line for line in lines), lines
    recipients = {m["To"] for m in smtp_server.messages}
    for line in lines:  # the very address each printed debtor's reminder went to
        assert line.split("(reminder sent to ")[1].split(":")[0] in recipients

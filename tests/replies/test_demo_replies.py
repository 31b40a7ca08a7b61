"""The demo's wiring, end to end on free ports: the mail sink process started the way
`saldo demo` starts it hands a reply to a reminder to the running web app, and the reply
shows in the staff inbox on the right debtor."""

from __future__ import annotations

import smtplib
import subprocess
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from alerts.outbox import dispatch
from portal import devstack
from portal.extensions import db
from portal.mailsink import read_folder
from portal.models import InboundMessage, PromiseToPay, ReminderPause
from replies.dates import local_today, next_weekday
from replies.demo_reply import reply_to_last_reminder
from tests.alerts.conftest import queue
from tests.conftest import free_port
from tests.factories import make_debtor, make_invoice
from tests.staff.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(port: int, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port}")


@pytest.fixture
def demo_stack(app, tmp_path):
    """The web app on a free port and the mail sink started the way `saldo demo` starts it:
    yields (the sink's folder, its SMTP port)."""
    web_port, smtp_port = free_port(), free_port()
    env = devstack.demo_environment(tmp_path / "instance", web_port)
    app.config.update(INBOUND_EMAIL_SECRET=env["SALDO_INBOUND_EMAIL_SECRET"],
                      SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port)
    server = make_server("127.0.0.1", web_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    folder = Path(env["SALDO_MAILSINK_FOLDER"])
    sink = subprocess.Popen(devstack.sink_command(smtp_port, folder, web_port, env), env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(smtp_port)
        yield folder, smtp_port
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        server.shutdown()


def _sent_reminder(folder: Path, debtor, invoice):
    """Queue and send one reminder into the sink; wait until the sink has written it."""
    reminder = queue(debtor, invoice)
    db.session.commit()
    assert dispatch()["sent"] == 1
    deadline = time.monotonic() + 10
    while not read_folder(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    [sent] = read_folder(folder)
    return reminder, sent


def _agent_client(app):
    from portal.staff.accounts import create_staff
    from tests.staff.conftest import PASSWORD

    staff = create_staff("agent@saldo.test", "agent", PASSWORD)
    db.session.commit()
    client = app.test_client()
    login(client, staff.email)
    return client


def test_replying_to_a_reminder_through_the_demo_sink_reaches_the_staff_inbox(
        app, demo_stack):
    folder, smtp_port = demo_stack
    debtor = make_debtor(name="Lucía Demo", email="lucia@example.com")
    reminder, sent = _sent_reminder(folder, debtor, make_invoice(debtor))
    debtor_id, reminder_id = debtor.id, reminder.id
    answer = EmailMessage()
    answer["From"], answer["To"] = "Lucía <lucia@example.com>", sent["Reply-To"]
    answer["Subject"], answer["In-Reply-To"] = "Re: " + sent["Subject"], sent["Message-ID"]
    answer["Message-ID"] = "<demo-reply@example.com>"
    answer.set_content("Ya pagué por transferencia el lunes.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as smtp:
        smtp.send_message(answer)
    db.session.remove()
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert (inbound.debtor_id, inbound.in_reply_to_id) == (debtor_id, reminder_id)
    assert len(read_folder(folder)) == 1  # the reply is not "sent mail"
    inbox = _agent_client(app).get("/staff/inbox").get_data(as_text=True)
    assert "Lucía Demo" in inbox and "Ya pagué por transferencia el lunes." in inbox


def test_les_pago_el_viernes_200_mil_through_the_demo_is_a_promise_confirmed_in_seconds(
        app, demo_stack):
    """The demo's reply walk: `saldo replies demo-reply` answers the reminder in the sink;
    Saldo records a promise for the coming Friday for 200,000 COP, pauses the debtor's
    reminders, sends the confirmation back through the sink, and the inbox shows it handled."""
    folder, smtp_port = demo_stack
    debtor = make_debtor(name="Camila Demo", email="camila@example.com", locale="es_CO")
    invoice = make_invoice(debtor, amount_minor=793_400_00)
    reminder, _ = _sent_reminder(folder, debtor, invoice)
    debtor_id = debtor.id
    reply_to_last_reminder("camila@example.com", "les pago el viernes 200 mil", folder,
                           port=smtp_port)
    db.session.remove()
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    friday = next_weekday(local_today(inbound.received_at, "America/Bogota"), 4)
    [promise] = db.session.scalars(select(PromiseToPay)).all()
    assert (promise.debtor_id, promise.promised_on, promise.amount_minor, promise.currency) \
        == (debtor_id, friday, 200_000_00, "COP")
    assert db.session.scalar(select(ReminderPause.until).where(
        ReminderPause.debtor_id == debtor_id)) == friday
    assert dispatch()["sent"] == 1  # the urgent loop does this within seconds in the demo
    deadline = time.monotonic() + 10
    while len(read_folder(folder)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    confirmation = read_folder(folder)[0]
    assert confirmation["To"] == "camila@example.com"
    assert confirmation["In-Reply-To"] == inbound.provider_id
    assert "200.000" in confirmation.get_body(("plain",)).get_content()
    done = _agent_client(app).get("/staff/inbox?view=done").get_data(as_text=True)
    assert "Camila Demo" in done

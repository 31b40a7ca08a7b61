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

from sqlalchemy import select
from werkzeug.serving import make_server

from alerts.outbox import dispatch
from portal import devstack
from portal.extensions import db
from portal.mailsink import read_folder
from portal.models import InboundMessage
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


def test_replying_to_a_reminder_through_the_demo_sink_reaches_the_staff_inbox(
        app, tmp_path):
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
        debtor = make_debtor(name="Lucía Demo", email="lucia@example.com")
        reminder = queue(debtor, make_invoice(debtor))
        db.session.commit()
        debtor_id, reminder_id = debtor.id, reminder.id
        assert dispatch()["sent"] == 1
        deadline = time.monotonic() + 10
        while not read_folder(folder) and time.monotonic() < deadline:
            time.sleep(0.1)
        [sent] = read_folder(folder)  # the reminder, as the staff "sent mail" page shows it
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
        from portal.staff.accounts import create_staff
        from tests.staff.conftest import PASSWORD

        staff = create_staff("agent@saldo.test", "agent", PASSWORD)
        db.session.commit()
        client = app.test_client()
        login(client, staff.email)
        inbox = client.get("/staff/inbox").get_data(as_text=True)
        assert "Lucía Demo" in inbox and "Ya pagué por transferencia el lunes." in inbox
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        server.shutdown()

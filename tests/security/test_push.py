"""Web push cannot be turned into a server-side request forgery, and no channel error can
stop the dispatcher: the message fails (or retries) on its own row."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Message, PushSubscription
from tests.alerts.conftest import queue
from tests.alerts.test_channels import _subscription_keys, b64, vapid  # noqa: F401 (fixture)
from tests.factories import csrf_token, make_debtor, make_invoice, sign_in

KEYS = {"p256dh": "BOr8" + "x" * 80, "auth": "a1b2c3d4"}


class Listener:
    """A TCP server on 127.0.0.1 that records connections and answers garbage (not TLS)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot tls at all\r\n" * 4)
            finally:
                conn.close()

    def stop(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.stop()


@pytest.mark.parametrize("endpoint", [
    "https://127.0.0.1:8443/push",
    "https://169.254.169.254/latest/meta-data/",
    "https://localhost/push",
    "https://[::1]/push",
    "http://fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com:8443/fcm/send/abc",
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://user:pw@fcm.googleapis.com/fcm/send/abc",
    "https://push.apple.com.evil.example/x",
    "https://evil.example/push",
])
def test_subscribe_refuses_anything_but_a_known_push_service(app, endpoint):
    debtor = make_debtor()
    db.session.commit()
    client = app.test_client()
    sign_in(client, debtor)
    headers = {"X-CSRFToken": csrf_token(client, "/preferences")}
    response = client.post("/push/subscribe", json={"endpoint": endpoint, "keys": KEYS},
                           headers=headers)
    assert response.status_code == 400
    assert db.session.scalar(select(PushSubscription)) is None


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc:def",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://web.push.apple.com/QGuQyavXutnMw",
    "https://wns2-by3p.notify.windows.com/w/?token=BQYAAA",
])
def test_the_real_push_services_are_accepted(endpoint):
    from alerts.channels.endpoints import endpoint_problem

    assert endpoint_problem(endpoint) is None


@pytest.mark.parametrize("address", ["10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1",
                                     "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1",  # noqa: S104
                                     "fe80::1", "fc00::1", "::ffff:127.0.0.1", "240.0.0.1"])
def test_a_push_host_resolving_to_an_inner_address_is_refused_at_send_time(address):
    from alerts.channels.endpoints import resolved_problem

    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolver(host, port, type):  # what a poisoned or rebinding DNS answer would say
        return [(family, type, 6, "", (address, port))]

    assert "resolves to" in resolved_problem("https://fcm.googleapis.com/fcm/send/x",
                                             resolver)
    assert resolved_problem("https://fcm.googleapis.com/x", lambda h, p, type: [
        (socket.AF_INET, type, 6, "", ("142.250.185.10", p))]) is None


def _push_message(endpoint: str) -> Message:
    _, p256dh, auth = _subscription_keys()
    debtor = make_debtor(allow_push=True)
    db.session.add(PushSubscription(debtor_id=debtor.id, endpoint=endpoint, p256dh=p256dh,
                                    auth=b64(auth)))
    message = queue(debtor, make_invoice(debtor), channel="push")
    db.session.commit()
    return message


def test_a_stored_inner_endpoint_is_never_contacted(app, runner, vapid, listener):  # noqa: F811
    """A subscription stored before endpoints were checked: dispatch refuses it without
    connecting, fails the message with the reason, forgets the subscription, exits 0."""
    app.config["PUSH_CHECK_ENDPOINTS"] = True  # as in production (the fixture turns it off)
    message = _push_message(f"https://127.0.0.1:{listener.port}/push/1")
    result = runner.invoke(args=["alerts", "dispatch"])
    assert result.exit_code == 0, result.output
    row = db.session.get(Message, message.id)
    assert row.status == "failed" and "not a known push service" in row.last_error
    assert listener.connections == 0
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_tls_error_fails_only_its_message_and_the_dispatcher_goes_on(app, runner, vapid,  # noqa: F811
                                                                      listener):
    """The crash seen: a TLS error escaped the push channel, `saldo alerts dispatch` exited 1
    and the message stayed 'sending'. Endpoint checks are off here so that the request is
    really made (as to a real push service that breaks TLS)."""
    app.config["PUSH_CHECK_ENDPOINTS"] = False
    broken = _push_message(f"https://127.0.0.1:{listener.port}/push/1")
    other_debtor = make_debtor()
    fine = queue(other_debtor, make_invoice(other_debtor), channel="sms")
    db.session.commit()
    result = runner.invoke(args=["alerts", "dispatch"])
    assert result.exit_code == 0, result.output
    assert listener.connections >= 1
    row = db.session.get(Message, broken.id)
    assert row.status == "pending" and "push failed" in row.last_error  # retried with backoff
    assert row.send_at > row.claimed_at
    assert db.session.get(Message, fine.id).status == "sent"


def test_any_adapter_exception_retries_then_fails_with_its_reason(app):
    from datetime import timedelta

    from alerts.outbox import MAX_ATTEMPTS, dispatch

    class Exploding:
        name = "email"

        def send(self, outgoing):
            raise ValueError("a bug deep in a library")

        def close(self):
            raise RuntimeError("and closing fails too")

    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        row = db.session.get(Message, message.id)
        counts = dispatch(now=row.send_at + timedelta(seconds=1), channels={"email": Exploding()})
        db.session.refresh(row)
        assert row.status == ("failed" if attempt == MAX_ATTEMPTS else "pending"), attempt
        assert "ValueError: a bug deep in a library" in row.last_error
    assert counts["failed"] == 1

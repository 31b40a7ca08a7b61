"""Payments tests run against a real localstripe (a stateful local Stripe) on a free port.

`localstripe` starts one process per run (`python -m payments.devstripe --port N
--from-scratch`: localstripe with the card-flow gaps filled, see payments/devstripe.py), waits for
it, and empties it (`DELETE /_config/data`) before each test. `stripe_app` points the app at
it. `live_server_url` serves the app on a free port so localstripe can deliver webhooks
(registered with `POST /_config/webhooks/<id>`). After every test the ledger invariant is
checked: allocations never exceed an invoice, and every payment's allocations equal what it
kept (amount minus refunds).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal.extensions import db as _db
from portal.models import Invoice, Payment, PaymentAllocation
from tests.conftest import free_port

WEBHOOK_SECRET = "whsec_test_saldo"


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            requests.delete(f"{base}/_config/data", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("localstripe did not start in time")


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """One localstripe process for the run; yields its base URL."""
    port = free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "localstripe.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "payments.devstripe", "--port", str(port),
                                "--from-scratch"],
                               stdout=log, stderr=subprocess.STDOUT,
                               cwd=str(tmp_path_factory.mktemp("localstripe-cwd")))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def localstripe(localstripe_server):
    """A localstripe emptied for this test."""
    requests.delete(f"{localstripe_server}/_config/data", timeout=5).raise_for_status()
    return localstripe_server


@pytest.fixture
def stripe_app(app, localstripe):
    app.config.update(STRIPE_API_BASE=localstripe, STRIPE_SECRET_KEY="sk_test_saldo",
                      STRIPE_PUBLISHABLE_KEY="pk_test_saldo",
                      STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/",
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_TIMEOUT=5,
                      STRIPE_NETWORK_RETRIES=0)
    app.extensions.pop("saldo_stripe", None)
    return app


@pytest.fixture
def live_server_url(stripe_app, localstripe):
    """The app served on a free port, with localstripe's webhook pointed at it."""
    port = free_port()
    server = make_server("127.0.0.1", port, stripe_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    requests.post(f"{localstripe}/_config/webhooks/saldo", timeout=5, data={
        "url": f"{url}/webhooks/stripe", "secret": WEBHOOK_SECRET}).raise_for_status()
    yield url
    requests.post(f"{localstripe}/_config/webhooks/saldo", timeout=5, data={
        "url": "http://127.0.0.1:9/none", "secret": WEBHOOK_SECRET})
    server.shutdown()
    thread.join(timeout=5)


def ledger_violations() -> list[str]:
    """Invoices allocated beyond their amount; payments whose allocations differ from what
    they kept; invoices whose paid amount differs from their allocations."""
    session = _db.session
    problems = []
    allocated = dict(session.execute(select(PaymentAllocation.invoice_id,
                                            func.sum(PaymentAllocation.amount_minor))
                                     .group_by(PaymentAllocation.invoice_id)).all())
    for invoice in session.scalars(select(Invoice)):
        total = allocated.get(invoice.id, 0)
        if total > invoice.amount_minor:
            problems.append(f"invoice {invoice.external_id} over-allocated: {total}")
        if total != invoice.paid_minor:
            problems.append(f"invoice {invoice.external_id} paid {invoice.paid_minor} "
                            f"but allocations say {total}")
    for payment in session.scalars(select(Payment)):
        total = sum(a.amount_minor for a in payment.allocations)
        kept = (payment.amount_minor - payment.refunded_minor
                if payment.status in ("succeeded", "partially_refunded", "refunded") else 0)
        if total != kept:
            problems.append(f"payment {payment.id} ({payment.status}) allocates {total}, "
                            f"kept {kept}")
    return problems


@pytest.fixture(autouse=True)
def ledger_invariant(request):
    """After every payments test: the allocation invariant holds (checked before the app
    fixture empties the tables, hence the app is requested here first)."""
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")
    yield
    _db.session.remove()
    assert ledger_violations() == []


# Staff users and signed-in staff clients, for the console's refund and chargeback pages.
from tests.staff.conftest import make_staff, staff_client  # noqa: E402,F401

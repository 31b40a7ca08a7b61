"""Opens (tracking pixel), and payments attributed to the message that preceded them."""

from datetime import UTC, date, datetime, timedelta

from alerts.engagement import attributed_payments, engagement_summary
from alerts.views import pixel_url
from portal.extensions import db
from portal.models import Message
from tests.alerts.conftest import queue
from tests.factories import make_debtor, make_invoice, make_payment


def test_the_open_pixel_records_the_first_open_only(app, client):
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    path = pixel_url(message.id).replace("http://localhost", "")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert response.headers["Cache-Control"] == "no-store, private"
    first = db.session.get(Message, message.id).opened_at
    assert first is not None
    client.get(path)
    db.session.expire_all()
    assert db.session.get(Message, message.id).opened_at == first


def test_a_forged_pixel_token_records_nothing(app, client):
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    response = client.get(f"/m/{message.id}.forged/open.gif")
    assert response.status_code == 200
    assert db.session.get(Message, message.id).opened_at is None


def test_payments_within_seven_days_are_attributed_to_the_latest_message(app):
    debtor = make_debtor()
    invoice = make_invoice(debtor)
    old = queue(debtor, invoice, key="old", status="sent",
                sent_at=datetime(2026, 11, 1, 15, tzinfo=UTC))
    recent = queue(debtor, invoice, key="recent", status="sent",
                   sent_at=datetime(2026, 11, 5, 15, tzinfo=UTC), opened_at=datetime.now(UTC))
    make_payment(invoice, 10_000_00, received_on=date(2026, 11, 8))
    other = make_debtor()
    other_invoice = make_invoice(other)
    queue(other, other_invoice, key="stale", status="sent",
          sent_at=datetime(2026, 11, 1, 15, tzinfo=UTC))
    make_payment(other_invoice, 5_000_00, received_on=date(2026, 11, 9))  # 8 days later
    db.session.commit()
    found = attributed_payments(date(2026, 11, 1), date(2026, 11, 30))
    assert [(f["message_id"], f["amount_minor"]) for f in found] == [(recent.id, 10_000_00)]
    assert old.id != recent.id
    summary = engagement_summary(date(2026, 11, 1), date(2026, 11, 30))
    assert summary["channels"]["email"]["sent"] == 3
    assert summary["channels"]["email"]["opened"] == 1
    assert summary["channels"]["email"]["paid"] == 1
    assert summary["attributed_minor"] == {"COP": 10_000_00}
    assert timedelta(days=7).days == 7

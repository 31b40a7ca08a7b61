"""One eligibility check in the database paths: the planner stores the band it planned
under, and the dispatcher's send-time re-check applies the same consent rule."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from alerts.outbox import dispatch
from alerts.planner import plan
from alerts.settings import save_settings
from portal.extensions import db
from portal.models import Message
from tests.alerts.conftest import queue, score
from tests.alerts.test_outbox import FakeChannel
from tests.factories import make_debtor, make_invoice

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_planned_rows_keep_the_band_they_were_planned_under(app):
    save_settings({"holdout_share": 0})
    debtor = make_debtor(external_id="C-1")
    high = make_invoice(debtor, external_id="F-H", due_on=TODAY + timedelta(days=2))
    score(high, 0.8, at=NOW - timedelta(hours=1))
    low = make_invoice(make_debtor(external_id="C-2"), external_id="F-L",
                       due_on=TODAY + timedelta(days=7))
    score(low, 0.05, at=NOW - timedelta(hours=1))
    db.session.commit()
    plan(TODAY, now=NOW)
    bands = {m.invoice_id: (m.band, m.status) for m in db.session.scalars(select(Message))}
    assert bands == {high.id: ("high", "pending"), low.id: ("low", "skipped")}
    # Moving the cut-offs later does not rewrite the band the reminder was planned under.
    save_settings({"holdout_share": 0, "band_cutoffs": {"medium": 0.85, "high": 0.9}})
    db.session.commit()
    assert db.session.scalar(select(Message.band).where(Message.invoice_id == high.id)) == \
        "high"


def test_send_time_recheck_refuses_unconsented_channels_under_colombia(app):
    save_settings({"jurisdiction": "CO"})
    without = make_debtor(external_id="C-NO")
    with_consent = make_debtor(external_id="C-YES", consent_email_at=date(2026, 1, 5))
    refused = queue(without, make_invoice(without))
    allowed = queue(with_consent, make_invoice(with_consent))
    db.session.commit()
    fake = FakeChannel()
    counts = dispatch(channels={"email": fake})
    assert counts["cancelled"] == 1 and counts["sent"] == 1
    assert db.session.get(Message, refused.id).last_error == "no_consent"
    assert db.session.get(Message, allowed.id).status == "sent"


def test_without_a_consent_profile_consent_dates_are_not_needed(app):
    save_settings({"jurisdiction": None})
    debtor = make_debtor()
    message = queue(debtor, make_invoice(debtor))
    db.session.commit()
    assert dispatch(channels={"email": FakeChannel()})["sent"] == 1
    assert db.session.get(Message, message.id).status == "sent"

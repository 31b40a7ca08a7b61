"""The database ledger as the features see it: invoices, engagement, promises, disputes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from portal.models import Dispute, Message, PortalVisit, PromiseToPay
from risk.features import compute_features
from risk.registry import start_of
from risk.source import load_ledger
from tests.factories import make_debtor, make_invoice

TODAY = date(2026, 6, 1)
NOW = start_of(TODAY)


def _at(days_before: float) -> datetime:
    return NOW - timedelta(days=days_before)


def _message(debtor, n, sent, opened=None, clicked=None):
    return Message(debtor_id=debtor.id, channel="email", template="reminder", rule="lead",
                   reason="due_soon", dedupe_key=f"k{n}", status="sent", send_at=sent,
                   sent_at=sent, opened_at=opened, clicked_at=clicked)


def test_ledger_frame_from_the_database(app, db):
    debtor = make_debtor(paperless=True)
    paid = make_invoice(debtor, issued_on=date(2026, 3, 1), due_on=date(2026, 3, 31),
                        status="paid", paid_minor=150_000_00, settled_on=date(2026, 4, 5))
    open_ = make_invoice(debtor, issued_on=date(2026, 5, 1), paperless=True)
    make_invoice(debtor, issued_on=date(2026, 5, 2), status="cancelled")
    db.session.commit()
    ledger = load_ledger(NOW).ledger
    assert list(ledger["invoice_id"]) == [str(paid.id), str(open_.id)]
    row = ledger.set_index("invoice_id").loc[str(paid.id)]
    assert row["customer_id"] == str(debtor.id)
    assert row["settled_on"] == pd.Timestamp("2026-04-05") and not row["is_open"]
    assert row["amount_minor"] == row["paid_minor"] == 150_000_00
    assert ledger["is_open"].tolist() == [False, True]
    assert ledger["paperless"].tolist() == [False, True]
    assert ledger["issued_on"].dtype == "datetime64[ns]"


def test_engagement_promises_and_disputes_as_of_the_scoring_day(app, db):
    debtor = make_debtor()
    history = make_invoice(debtor, issued_on=date(2026, 1, 1), status="paid",
                           paid_minor=150_000_00, settled_on=date(2026, 1, 20))
    target = make_invoice(debtor, issued_on=date(2026, 5, 1))
    later = make_invoice(debtor, issued_on=date(2026, 5, 10))
    db.session.add_all([
        _message(debtor, 1, _at(10), opened=_at(9), clicked=_at(9)),
        _message(debtor, 2, _at(20), opened=_at(1)),
        _message(debtor, 3, _at(120), opened=_at(119)),  # outside the 90 days
        _message(debtor, 4, _at(-1), opened=_at(-1)),  # after the scoring day
        PortalVisit(debtor_id=debtor.id, visited_at=_at(3)),
        PortalVisit(debtor_id=debtor.id, visited_at=_at(-2)),
        PromiseToPay(debtor_id=debtor.id, invoice_id=history.id, promised_on=date(2026, 1, 15),
                     amount_minor=100, currency="COP", status="broken",
                     created_at=_at(140), resolved_at=_at(130)),
        PromiseToPay(debtor_id=debtor.id, invoice_id=target.id, promised_on=date(2026, 6, 10),
                     amount_minor=100, currency="COP", status="open", created_at=_at(2)),
        Dispute(debtor_id=debtor.id, invoice_id=target.id, reason="wrong_amount",
                created_at=_at(5)),
        Dispute(debtor_id=debtor.id, invoice_id=later.id, reason="other", created_at=_at(-3)),
    ])
    db.session.commit()
    data = load_ledger(NOW)
    flags = data.ledger.set_index("invoice_id")["disputed"]
    assert flags[str(target.id)] and not flags[str(later.id)] and not flags[str(history.id)]
    f = compute_features(data.ledger, [str(target.id)], as_of=pd.Timestamp(TODAY),
                         **data.events()).iloc[0]
    assert (f["messages_sent_90d"], f["messages_opened_90d"], f["messages_clicked_90d"]) == (
        2, 2, 1)
    assert f["portal_visits_90d"] == 1
    assert (f["promises_made"], f["promises_broken"]) == (2, 1)
    assert f["disputed"] == 1 and f["n_settled"] == 1


def test_empty_database_gives_empty_frames(app, db):
    data = load_ledger(datetime(2026, 1, 1, tzinfo=UTC))
    assert len(data.ledger) == 0 and len(data.messages) == 0
    features = compute_features(data.ledger, **data.events())
    assert len(features) == 0


def test_bands_follow_the_one_policy_function():
    from alerts.policy_model import as_policy

    p = np.array([0.0, 0.2499, 0.25, 0.4999, 0.5, 1.0])
    assert [as_policy(None).band_for(x) for x in p] == [
        "low", "low", "medium", "medium", "high", "high"]
    custom = as_policy({"band_cutoffs": {"medium": 0.1, "high": 0.9}})
    assert [custom.band_for(x) for x in p] == ["low", "medium", "medium", "medium", "medium",
                                               "high"]
    assert custom.band_for(None) == "medium"  # unscored counts as medium

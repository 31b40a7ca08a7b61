"""Uplift per band vs the holdout group, against values computed by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import Message
from portal.staff.kpis_uplift import invoices_needed, uplift_by_band
from tests.factories import make_debtor, make_invoice

AS_OF = date(2026, 11, 20)


def _invoice(n: int, band: str, late: bool, held_out: bool):
    debtor = make_debtor(external_id=f"U-{n}")
    due = date(2026, 10, 10)
    invoice = make_invoice(debtor, issued_on=date(2026, 9, 10), due_on=due, amount_minor=1000,
                           currency="USD")
    invoice.status, invoice.paid_minor = "paid", 1000
    invoice.settled_on = due + timedelta(days=5 if late else -2)
    at = datetime(2026, 10, 8, 14, tzinfo=UTC)
    db.session.add(Message(
        debtor_id=debtor.id, invoice_id=invoice.id, channel="none" if held_out else "email",
        template="pre_due", rule="pre_2", reason="holdout" if held_out else f"{band}_risk:pre_2",
        band=band, dedupe_key=f"u{n}", status="skipped" if held_out else "sent", send_at=at,
        sent_at=None if held_out else at))


def test_uplift_per_band_with_interval_and_invoices_needed(app):
    n = 0
    for band, late, held in [("high", True, False)] * 3 + [("high", False, False)] + \
            [("high", True, True)] * 2 + [("low", False, False)] * 2 + [("low", True, True)]:
        n += 1
        _invoice(n, band, late, held)
    db.session.commit()
    result = uplift_by_band(AS_OF)
    high = result["high"]
    assert (high["reminded"], high["reminded_late"], high["holdout"], high["holdout_late"]) == \
        (4, 3, 2, 2)
    se = math.sqrt(0.75 * 0.25 / 4 + 1.0 * 0.0 / 2)
    assert high["uplift"]["difference"] == pytest.approx(0.25)
    assert high["uplift"]["low"] == pytest.approx(0.25 - 1.959964 * se)
    assert high["uplift"]["high"] == pytest.approx(0.25 + 1.959964 * se)
    # Pooled late rate 5/6; detect 5 points: (1.959964 + 0.841621)² × (p(1-p) + q(1-q)) / 0.05²
    p, q = 5 / 6, 5 / 6 - 0.05
    by_hand = math.ceil(2.801585 ** 2 * (p * (1 - p) + q * (1 - q)) / 0.0025)
    assert by_hand == 969
    assert high["needed_per_group"] == 969 and high["still_needed"] == (969 - 4) + (969 - 2)
    low = result["low"]
    assert (low["reminded"], low["reminded_late"], low["holdout"], low["holdout_late"]) == \
        (2, 0, 1, 1)
    assert low["uplift"]["difference"] == pytest.approx(1.0)
    assert "medium" not in result


def test_invoices_needed_by_hand():
    # p = 0.30, q = 0.25: 7.848879 × (0.21 + 0.1875) / 0.0025 = 1247.97 → 1248
    assert invoices_needed(0.30) == 1248
    # Below 5 %, the other side: p = 0.02, q = 0.07: 7.848879 × (0.0196 + 0.0651) / 0.0025
    assert invoices_needed(0.02) == math.ceil(7.848879 * (0.0196 + 0.0651) / 0.0025)

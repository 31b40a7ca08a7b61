"""Dashboard figures against values computed by hand on a small portfolio (see `portfolio`)."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.models import (
    Message,
    ModelVersion,
    PaymentPlan,
    PromiseToPay,
    RiskScore,
    ScoringRun,
)
from portal.staff import kpis, kpis_alerts, kpis_model
from tests.factories import make_debtor, make_invoice, make_payment

AS_OF = date(2026, 11, 20)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def d(day: str) -> date:
    return date.fromisoformat(day)


@pytest.fixture
def portfolio(app):
    """Eight USD invoices with scores, payments, messages, promises, plans and scoring runs.

    A  issued 09-01 due 10-01  100.00 settled 09-28 (on time)  score 0.10 low
    B  issued 09-05 due 10-05  200.00 settled 10-10 (late)     score 0.60 high (+0.90 after due)
    C  issued 10-01 due 10-31  300.00 open, 100.00 paid (late) score 0.30 medium
    D  issued 11-01 due 12-01  400.00 open, not due yet        score 0.55 high
    E  issued 09-10 due 10-10   50.00 settled 10-08 (on time)  no score
    F  cancelled                                                 (ignored everywhere)
    G  issued 10-20 due 11-05   80.00 settled 11-08 (late)     no score
    H  issued 09-01 due 10-01   10.00 settled 09-30 (on time)  score 0.40 medium
    """
    debtor = make_debtor()
    usd = {"currency": "USD", "debtor": debtor}
    inv = {
        "A": make_invoice(issued_on=d("2026-09-01"), due_on=d("2026-10-01"), amount_minor=10000,
                          **usd),
        "B": make_invoice(issued_on=d("2026-09-05"), due_on=d("2026-10-05"), amount_minor=20000,
                          **usd),
        "C": make_invoice(issued_on=d("2026-10-01"), due_on=d("2026-10-31"), amount_minor=30000,
                          **usd),
        "D": make_invoice(issued_on=d("2026-11-01"), due_on=d("2026-12-01"), amount_minor=40000,
                          **usd),
        "E": make_invoice(issued_on=d("2026-09-10"), due_on=d("2026-10-10"), amount_minor=5000,
                          **usd),
        "F": make_invoice(issued_on=d("2026-09-01"), due_on=d("2026-10-01"), amount_minor=7000,
                          status="cancelled", **usd),
        "G": make_invoice(issued_on=d("2026-10-20"), due_on=d("2026-11-05"), amount_minor=8000,
                          **usd),
        "H": make_invoice(issued_on=d("2026-09-01"), due_on=d("2026-10-01"), amount_minor=1000,
                          status="paid", paid_minor=1000, settled_on=d("2026-09-30"), **usd),
    }
    for key, paid_on in (("A", "2026-09-28"), ("B", "2026-10-10"), ("E", "2026-10-08"),
                         ("G", "2026-11-08")):
        make_payment(inv[key], received_on=d(paid_on))
        inv[key].status, inv[key].settled_on = "paid", d(paid_on)
    partial = make_payment(inv["C"], 10000, received_on=d("2026-11-18"))
    partial.refunded_minor, partial.status = 4000, "partially_refunded"
    make_payment(inv["C"], 3000, received_on=d("2026-11-17"), status="failed")
    inv["C"].paid_minor = 10000

    model = ModelVersion(algorithm="test", artifact_path="x", sha256="0" * 64,
                         feature_names=[], library_versions={})
    db.session.add(model)
    db.session.flush()
    for key, p, band, when in (("A", 0.10, "low", "2026-09-15"), ("B", 0.60, "high", "2026-09-20"),
                               ("B", 0.90, "high", "2026-10-20"),
                               ("C", 0.30, "medium", "2026-10-15"),
                               ("D", 0.55, "high", "2026-11-05"),
                               ("H", 0.40, "medium", "2026-09-10")):
        db.session.add(RiskScore(invoice_id=inv[key].id, model_version_id=model.id,
                                 probability=p, band=band, scored_at=at(when, 2)))
    for psi, when in ((0.05, "2026-11-01"), (0.25, "2026-11-15")):
        db.session.add(ScoringRun(model_version_id=model.id, started_at=at(when), psi=psi))

    n = iter(range(100))
    for key, channel, status, reason, when, extra in (
        ("D", "email", "sent", "pre_7", "2026-11-14", {"opened": True, "clicked": True}),
        ("C", "none", "skipped", "holdout", "2026-10-28", {}),
        ("C", "sms", "failed", "post_1", "2026-11-02", {}),
        ("D", "none", "skipped", "cap", "2026-11-15", {}),
        ("G", "email", "sent", "pre_2", "2026-11-03", {}),
        ("A", "email", "sent", "pre_7", "2026-09-25", {}),
        ("B", "email", "sent", "pre_7", "2026-09-30", {}),
        ("E", "none", "skipped", "holdout", "2026-10-05", {}),
    ):
        sent = at(when) if status == "sent" else None
        db.session.add(Message(
            debtor_id=debtor.id, invoice_id=inv[key].id, channel=channel, template="t",
            rule=reason, reason=reason, dedupe_key=f"k{next(n)}", status=status,
            send_at=at(when), sent_at=sent, opened_at=at(when, 12) if extra.get("opened") else None,
            clicked_at=at(when, 13) if extra.get("clicked") else None))

    # One open promise per invoice (a partial unique index): the later open one is on D.
    for status, when, key in (("kept", "2026-10-20", "C"), ("broken", "2026-10-25", "C"),
                              ("open", "2026-11-10", "C"), ("open", "2026-11-25", "D"),
                              ("cancelled", "2026-10-01", "C")):
        db.session.add(PromiseToPay(debtor_id=debtor.id, invoice_id=inv[key].id,
                                    promised_on=d(when), amount_minor=1000, currency="USD",
                                    status=status))
    for status in ("completed", "completed", "broken", "active"):
        db.session.add(PaymentPlan(debtor_id=debtor.id, status=status, total_minor=5000,
                                   currency="USD", frequency="monthly", installment_count=2,
                                   created_at=at("2026-10-01")))
    db.session.commit()
    return inv


def test_collected_per_week_nets_refunds_and_ignores_failures(portfolio):
    weeks = dict(kpis.collected_per_week(AS_OF))
    assert len(weeks) == 12
    assert min(weeks) == d("2026-08-31") and max(weeks) == d("2026-11-16")
    assert weeks[d("2026-09-28")] == {"USD": 10000}
    assert weeks[d("2026-10-05")] == {"USD": 25000}  # B 200.00 + E 50.00
    assert weeks[d("2026-11-02")] == {"USD": 8000}
    assert weeks[d("2026-11-16")] == {"USD": 6000}  # 100.00 less 40.00 refunded; failed 30.00 out
    assert sum(t.get("USD", 0) for t in weeks.values()) == 49000


def test_on_time_share_by_predicted_band(portfolio):
    shares = kpis.on_time_share_by_band(AS_OF)
    assert shares == {
        "low": {"invoices": 1, "on_time": 1, "share": 1.0},         # A
        "medium": {"invoices": 2, "on_time": 1, "share": 0.5},      # C late, H on time
        "high": {"invoices": 1, "on_time": 0, "share": 0.0},        # B (D not due yet)
        "unscored": {"invoices": 2, "on_time": 1, "share": 0.5},    # E on time, G late
    }


def test_dso(portfolio):
    # Receivables on 11-20: C 300 + D 400; invoiced in the 90 days: A B C D E G H = 1140.
    assert kpis.dso(AS_OF)["USD"] == pytest.approx(700 / 1140 * 90)
    months = kpis.dso_by_month(AS_OF)
    assert [m for m, _ in months][-2:] == [d("2026-10-31"), AS_OF]
    # On 10-31: A B E H settled, C open (issued 10-01), G open; invoiced since 08-02: 1140 - 400.
    assert months[-2][1]["USD"] == pytest.approx((300 + 80) / 740 * 90)


def test_promises_and_plans(portfolio):
    assert kpis.promise_kept_rate(AS_OF) == {"kept": 1, "broken": 2, "total": 3,
                                             "rate": pytest.approx(1 / 3)}
    plans = kpis.plan_completion(AS_OF)
    assert (plans["completed"], plans["broken"], plans["active"], plans["ended"]) == (2, 1, 1, 3)
    assert plans["rate"] == pytest.approx(2 / 3)


def test_reminders_sent_vs_skipped_by_band(portfolio):
    assert kpis_alerts.reminders_by_band(AS_OF) == {
        "medium": {"sent": 0, "skipped": 1},
        "high": {"sent": 1, "skipped": 1},
        "unscored": {"sent": 1, "skipped": 0},
    }
    assert kpis_alerts.skipped_by_reason(AS_OF) == {"holdout": 1, "cap": 1}


def test_channel_performance(portfolio):
    assert kpis_alerts.channel_performance(AS_OF) == {
        "email": {"attempted": 2, "delivered": 2, "failed": 0, "opened": 1, "clicked": 1,
                  "paid_7d": 1},
        "sms": {"attempted": 1, "delivered": 0, "failed": 1, "opened": 0, "clicked": 0,
                "paid_7d": 0},
    }


def test_uplift_vs_holdout_with_interval(portfolio):
    result = kpis_alerts.uplift_vs_holdout(AS_OF)
    assert (result["reminded"], result["reminded_late"]) == (3, 2)  # A on time, B G late
    assert (result["holdout"], result["holdout_late"]) == (2, 1)    # C late, E on time
    se = math.sqrt((2 / 3) * (1 / 3) / 3 + 0.5 * 0.5 / 2)
    assert result["uplift"]["difference"] == pytest.approx(0.5 - 2 / 3)
    assert result["uplift"]["low"] == pytest.approx(0.5 - 2 / 3 - 1.959964 * se)
    assert result["uplift"]["high"] == pytest.approx(0.5 - 2 / 3 + 1.959964 * se)


def test_model_health(portfolio):
    health = kpis_model.model_health(AS_OF)
    assert health["n"] == 4 and health["late"] == 2
    assert health["auc"] == pytest.approx(0.75)  # B>A, B>H, C>A, but C<H
    assert health["brier"] == pytest.approx((0.01 + 0.16 + 0.49 + 0.16) / 4)
    assert [(r["n"], r["observed"]) for r in health["calibration"]] == [
        (1, 0.0), (1, 1.0), (1, 0.0), (1, 1.0)]
    drift = kpis_model.psi_history()
    assert drift["latest"] == pytest.approx(0.25) and drift["warning"] is True


def test_auc_counts_ties_as_half():
    assert kpis_model.auc([0.5, 0.5], [True, False]) == 0.5
    assert kpis_model.auc([0.2, 0.8], [True, True]) is None


def test_dashboard_page_and_chart_csv(staff_client, portfolio):
    client, _ = staff_client("analyst")
    page = client.get("/staff/dashboard?as_of=2026-11-20").get_data(as_text=True)
    assert page.count("<svg") == 9
    assert "Score drift above 0.2" in page
    assert "AUC 0.750 on 4 invoices" in page
    response = client.get("/staff/dashboard/on_time.csv?as_of=2026-11-20")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["band"]: r["share"] for r in rows} == {"low": "1.0", "medium": "0.5",
                                                     "high": "0.0", "unscored": "0.5"}
    collected = client.get("/staff/dashboard/collected.csv?as_of=2026-11-20&currency=USD")
    assert "2026-11-16,USD,6000,60.00" in collected.get_data(as_text=True)
    assert client.get("/staff/dashboard/nope.csv").status_code == 404


def test_dashboard_refuses_a_bad_date(staff_client):
    client, _ = staff_client("analyst")
    response = client.get("/staff/dashboard?as_of=soon")
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)


def test_dashboard_refuses_dates_at_the_ends_of_the_calendar(staff_client):
    # Weeks and windows around these dates fall outside what dates can hold: 400, not 500.
    client, _ = staff_client("analyst")
    for day in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/staff/dashboard?as_of={day}").status_code == 400, day
        assert client.get(f"/staff/dashboard/dso.csv?as_of={day}").status_code == 400

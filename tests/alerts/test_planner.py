"""Planning against the database: snapshot, outbox rows, idempotence, CLI and preview."""

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from alerts.planner import load_snapshot, plan, preview
from alerts.settings import merged, save_settings
from portal.extensions import db
from portal.models import Dispute, Message, PromiseToPay, PushSubscription
from tests.alerts.conftest import score
from tests.factories import make_debtor, make_invoice

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def setup_portfolio():
    save_settings({"holdout_share": 0})
    high = make_debtor(external_id="C-HIGH")
    low = make_debtor(external_id="C-LOW")
    disputed = make_debtor(external_id="C-DISP")
    promised = make_debtor(external_id="C-PROM")
    i_high = make_invoice(high, external_id="F-HIGH", due_on=TODAY + timedelta(days=2))
    score(i_high, 0.2, at=NOW - timedelta(days=2))
    score(i_high, 0.8, at=NOW - timedelta(hours=1))  # the latest score counts
    i_low = make_invoice(low, external_id="F-LOW", due_on=TODAY + timedelta(days=7))
    score(i_low, 0.05)
    i_disp = make_invoice(disputed, external_id="F-DISP", due_on=TODAY + timedelta(days=3))
    db.session.add(Dispute(debtor_id=disputed.id, invoice_id=i_disp.id, reason="other"))
    i_prom = make_invoice(promised, external_id="F-PROM", due_on=TODAY + timedelta(days=3))
    db.session.add(PromiseToPay(debtor_id=promised.id, invoice_id=i_prom.id,
                                promised_on=TODAY + timedelta(days=5), amount_minor=1,
                                currency="COP"))
    make_invoice(high, external_id="F-LATER", due_on=TODAY + timedelta(days=20))
    db.session.commit()
    return high, i_high


def test_snapshot_reads_only_todays_work_with_latest_scores(app):
    high, i_high = setup_portfolio()
    db.session.add(PushSubscription(debtor_id=high.id, endpoint="https://push.example/1",
                                    p256dh="k", auth="a"))
    high.allow_push = True
    db.session.commit()
    snap = load_snapshot(TODAY, merged({"holdout_share": 0}), NOW)
    by_ref = {i.external_id: i for i in snap.invoices}
    assert set(by_ref) == {"F-HIGH", "F-LOW", "F-DISP", "F-PROM"}  # not F-LATER
    assert by_ref["F-HIGH"].probability == 0.8
    assert by_ref["F-DISP"].disputed and by_ref["F-PROM"].promised_until == TODAY + \
        timedelta(days=5)
    assert snap.debtors[high.id].channels == frozenset({"email", "sms", "push"})


def test_plan_writes_the_outbox_once_and_reports_reasons(app):
    high, i_high = setup_portfolio()
    result = plan(TODAY, now=NOW)
    assert [(p["customer_id"], p["invoice_id"], p["channel"]) for p in result["planned"]] == \
        [("C-HIGH", "F-HIGH", "email")]
    assert result["skipped"] == {"disputed": 1, "low_risk": 1, "promised": 1}
    rows = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert {(r.status, r.reason) for r in rows} == {
        ("pending", "high_risk:pre_2"), ("skipped", "low_risk"), ("skipped", "disputed"),
        ("skipped", "promised")}
    pending = next(r for r in rows if r.status == "pending")
    assert pending.send_at == datetime(2026, 11, 24, 13, tzinfo=UTC)
    assert pending.dedupe_key == f"{high.id}:{i_high.id}:pre_2:2026-11-24"
    again = plan(TODAY, now=NOW + timedelta(hours=1))
    assert again["written"] == 0 and len(again["planned"]) == 1
    assert db.session.scalar(select(func.count(Message.id))) == 4


def test_a_skipped_row_is_revived_when_a_later_run_plans_it(app):
    setup_portfolio()
    plan(TODAY, now=NOW)
    promise = db.session.scalar(select(PromiseToPay))
    promise.status = "broken"
    db.session.commit()
    plan(TODAY, now=NOW + timedelta(hours=1))
    row = db.session.scalar(select(Message).where(Message.reason.like("%pre_3")))
    assert row.status == "pending" and row.channel == "email"


def test_dry_run_writes_nothing(app):
    setup_portfolio()
    result = plan(TODAY, dry_run=True, now=NOW)
    assert len(result["planned"]) == 1
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_cli_plan_json(app, runner):
    setup_portfolio()
    out = runner.invoke(args=["alerts", "plan", "--date", "2026-11-24", "--dry-run", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) == {"planned", "skipped"}
    assert set(data["planned"][0]) == {"customer_id", "invoice_id", "channel", "tone",
                                       "send_at", "reason"}
    assert data["planned"][0]["invoice_id"] == "F-HIGH"
    assert data["skipped"]["low_risk"] == 1
    text = runner.invoke(args=["alerts", "plan", "--date", "2026-11-24", "--dry-run"])
    assert "would plan 1 messages" in text.output and "low_risk=1" in text.output
    bad = runner.invoke(args=["alerts", "plan", "--date", "24/11/2026"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_preview_runs_the_policy_day_by_day_without_writing(app):
    setup_portfolio()
    base = preview({"holdout_share": 0}, TODAY, days=14)
    # F-HIGH (due Thursday 26): 2 days before, on the day, 1 day after by email; the email
    # of the 27th is still unopened on 3 December, so the 7-days-after follow-up goes by SMS.
    assert (base["planned:high:email"], base["planned:high:sms"]) == (3, 1)
    # F-PROM: promised until 1 December, so only its 7-days-after follow-up goes out.
    assert base["planned:medium:email"] == 1 and "planned:medium:sms" not in base
    assert base["messages"] == sum(v for k, v in base.items() if k.startswith("planned:"))
    assert base["skipped:low_risk"] == 1
    assert base["debtors_contacted"] >= 1
    assert db.session.scalar(select(func.count(Message.id))) == 0
    # Tighter cut-offs move the low invoice into the high band: more reminders, less risk left.
    strict = preview({"holdout_share": 0, "band_cutoffs": {"medium": 0.01, "high": 0.02}},
                     TODAY, days=14)
    assert strict["messages"] > base["messages"]
    # Reminded: F-HIGH 0.8, F-PROM unscored 0.25, F-LOW 0.05 (its follow-up after the due date).
    assert base["expected_late_reminded"] == 1.1
    assert base["expected_late_skipped"] == 0.25  # F-DISP, disputed, unscored
    assert "skipped:low_risk" not in strict


def test_preview_window_starts_at_midnight():
    assert datetime.combine(TODAY, time(0), tzinfo=UTC) < NOW


def test_preview_samples_a_large_portfolio_and_scales_up(app, monkeypatch):
    import alerts.preview

    save_settings({"holdout_share": 0})
    for n in range(12):
        debtor = make_debtor(external_id=f"C-S{n}")
        score(make_invoice(debtor, due_on=TODAY + timedelta(days=2)), 0.9)
    db.session.commit()
    exact = preview({"holdout_share": 0}, TODAY, days=1)
    assert exact["sample_share"] == 1 and exact["messages"] == 12
    monkeypatch.setattr(alerts.preview, "SAMPLE_INVOICES", 4)
    sampled = preview({"holdout_share": 0}, TODAY, days=1)
    assert sampled["sample_share"] == round(1 / 3, 4)
    assert sampled["messages"] % 3 == 0 and 6 <= sampled["messages"] <= 18

"""End to end in headless Chromium: an analyst raises the high-risk cut-off, sees the what-if
numbers change, saves, and the next `saldo alerts plan --dry-run` follows the new policy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import ModelVersion, RiskScore
from portal.staff.accounts import create_staff
from tests.e2e.conftest import shot
from tests.factories import make_debtor, make_invoice

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def next_weekday(after_days: int = 1):
    day = datetime.now(UTC).date() + timedelta(days=after_days)
    while day.weekday() >= 5:  # Saturday is open by default, but keep it simple: Mon–Fri
        day += timedelta(days=1)
    return day


def high_risk_portfolio(plan_day, debtors: int = 6) -> None:
    """Invoices due a week after `plan_day`, scored 0.55: high risk under the default cut-off
    (0.50), so the 7-day reminder fires on `plan_day`; medium under 0.60, when it does not."""
    model = ModelVersion(algorithm="t", artifact_path="x", sha256="0" * 64, feature_names=[],
                         library_versions={}, is_active=True)
    db.session.add(model)
    db.session.flush()
    for _ in range(debtors):
        debtor = make_debtor(country=None, allow_email=True)
        invoice = make_invoice(debtor, issued_on=plan_day - timedelta(days=20),
                               due_on=plan_day + timedelta(days=7), amount_minor=50_000_00)
        db.session.add(RiskScore(invoice_id=invoice.id, model_version_id=model.id,
                                 probability=0.55, band="high",
                                 scored_at=datetime.now(UTC) - timedelta(hours=2)))
    db.session.commit()


def dry_run(app, day) -> dict:
    db.session.remove()
    result = app.test_cli_runner().invoke(
        args=["alerts", "plan", "--dry-run", "--json", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def what_if_row(page, label: str) -> tuple[float, float]:
    row = page.locator(f'#what-if tr[data-row="{label}"]')
    active = row.locator('[data-col="active"]').inner_text()
    draft = row.locator('[data-col="draft"]').inner_text()
    return float(active), float(draft)


def test_analyst_raises_high_cutoff_and_the_plan_follows(app, live_server, desktop_page):
    plan_day = next_weekday()
    high_risk_portfolio(plan_day)
    create_staff("analyst@saldo.test", "analyst", PASSWORD, name="Ana Analyst")
    db.session.commit()
    before = dry_run(app, plan_day)
    assert len(before["planned"]) >= 3  # the 7-day reminders (a few debtors may be held out)
    db.session.remove()

    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.fill('input[name="email"]', "analyst@saldo.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/staff/dashboard"))
    assert page.locator("h1").inner_text() == "Dashboard"

    page.click("text=Alert policy")
    page.wait_for_url(re.compile(r"/staff/policy$"))
    assert page.input_value("#f-cut_high") == "0.5"
    # The unchanged active policy previewed against itself: nothing changes, nothing moves.
    page.click("#preview-button")
    page.wait_for_selector("#what-if")
    assert page.locator("#what-if tr").count() > 3
    assert page.locator("#what-if tr.changed").count() == 0
    assert page.locator("#what-moves li.none").count() == 1
    active, draft = what_if_row(page, "Messages that would be sent")
    assert active == draft and active > 0
    page.fill("#f-cut_high", "0.6")
    page.fill('input[name="note"]', "fewer early reminders")
    page.click("#preview-button")
    page.wait_for_selector("#what-if")
    active, draft = what_if_row(page, "Messages that would be sent")
    assert draft < active
    assert page.locator("#what-if tr.changed").count() >= 2
    # Every change is explained: the moves add up to the change in messages, and each is a
    # band move (0.55 is high under 0.5 and medium under 0.6) with sample debtors.
    moves = page.locator("#what-moves li")
    assert moves.count() >= 1 and page.locator("#what-moves li.none").count() == 0
    kinds = {moves.nth(i).get_attribute("data-kind") for i in range(moves.count())}
    assert kinds == {"band"}
    explained = sum(int(moves.nth(i).get_attribute("data-delta")) for i in range(moves.count()))
    assert explained == draft - active
    assert "move from high risk to medium risk" in page.inner_text("#what-moves")
    assert page.input_value("#f-cut_high") == "0.6"  # the draft survives the preview
    shot(page, "staff-what-if")

    page.click("#save-button")
    page.wait_for_url(re.compile(r"/staff/policy/versions"))
    assert "Saved as version 1" in page.inner_text("main")
    shot(page, "staff-policy-versions")

    after = dry_run(app, plan_day)
    planned_invoices = {p["invoice_id"] for p in after["planned"]}
    before_invoices = {p["invoice_id"] for p in before["planned"]}
    assert not planned_invoices & before_invoices  # no 7-day reminder for 0.55 any more
    assert len(after["planned"]) < len(before["planned"])

"""The threshold explorer on the policy page and from the CLI, on the demo portfolio."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from portal.demo import seed_demo
from tests.staff.test_staff_policy import policy_form, post_policy


def test_policy_page_charts_the_explorer_with_active_and_draft_cut_offs(staff_client,
                                                                         runner):
    seed_demo(debtors=60, months=12, seed=5, today=datetime.now(UTC).date())
    client, _ = staff_client("analyst")
    assert 'id="explorer"' not in client.get("/staff/policy").get_data(as_text=True)
    page = post_policy(client, "explore", policy_form(cut_high="0.7")).get_data(as_text=True)
    assert 'id="explorer"' in page and "<svg" in page
    assert page.count('data-mark="active"') == 2 and page.count('data-mark="draft"') == 2
    assert "To contact at most 30% of invoices, set the cut-off to" in page
    # Cached: the page shows it again without recomputing, with another share asked for.
    again = client.get("/staff/policy?max_share=50").get_data(as_text=True)
    assert "To contact at most 50% of invoices" in again
    out = runner.invoke(args=["alerts", "explore", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data["points"]) == 101 and 0 < data["late_rate"] < 1

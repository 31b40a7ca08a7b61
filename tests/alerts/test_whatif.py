"""The what-if on frozen inputs: the active policy previewed against itself changes nothing,
rows are unique, and every change a draft makes is traced to a move."""

from datetime import UTC, date, datetime, timedelta

from alerts.preview import compare
from alerts.settings import current_policy, save_settings
from portal.extensions import db
from tests.alerts.conftest import score
from tests.factories import make_debtor, make_invoice

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def portfolio(n: int = 12):
    save_settings({"holdout_share": 0.2})
    for i in range(n):
        debtor = make_debtor(external_id=f"C-{i}", allow_whatsapp=True)
        invoice = make_invoice(debtor, external_id=f"F-{i}",
                               due_on=TODAY + timedelta(days=2 + i % 9))
        score(invoice, [0.1, 0.3, 0.45, 0.7][i % 4], at=NOW - timedelta(hours=2))
    db.session.commit()


def test_active_policy_against_itself_changes_nothing(app):
    portfolio()
    for days in (7, 14, 30):
        result = compare(current_policy(), current_policy().to_dict(), TODAY, days)
        keys = [r["key"] for r in result["rows"]]
        assert len(keys) == len(set(keys))  # unique rows
        assert all(r["active"] == r["draft"] for r in result["rows"]), result["rows"]
        assert result["moves"] == []
    assert any(r["active"] for r in result["rows"] if r["key"] == "messages")


def test_every_change_of_a_draft_is_explained_by_a_move(app):
    portfolio()
    draft = {**current_policy().to_dict(), "band_cutoffs": {"medium": 0.25, "high": 0.4},
             "channels": {"high": ["whatsapp", "email"], "medium": ["email"],
                          "low": ["email"]}}
    result = compare(current_policy(), draft, TODAY, 14)
    rows = {r["key"]: r for r in result["rows"]}
    total = rows["messages"]["draft"] - rows["messages"]["active"]
    assert total != 0
    assert sum(m["message_delta"] for m in result["moves"]) == total
    band_moves = [m for m in result["moves"] if m["kind"] == "band"]
    assert [(m["from"], m["to"]) for m in band_moves] == [("medium", "high")]
    assert band_moves[0]["debtors"] == 3  # the three invoices scored 0.45
    assert all(s.startswith("C-") for s in band_moves[0]["samples"])
    # Rows the draft does not touch stay as they are: the low band's reminders.
    assert rows["skipped_band:low"]["active"] == rows["skipped_band:low"]["draft"]


def test_holdout_is_frozen_for_both_columns_unless_the_draft_changes_it(app):
    portfolio(20)
    same = compare(current_policy(), {**current_policy().to_dict(), "tone": {
        "high": "firm", "medium": "gentle", "low": "gentle", "followup": "neutral"}}, TODAY, 14)
    holdout = {r["key"]: r for r in same["rows"]}.get("skipped:holdout")
    assert holdout is None or holdout["active"] == holdout["draft"]
    changed = compare(current_policy(), {**current_policy().to_dict(), "holdout_share": 0},
                      TODAY, 14)
    kinds = {m["kind"] for m in changed["moves"]}
    assert kinds <= {"holdout"} and ("holdout" in kinds) == bool(holdout)


def test_cli_whatif_json(app, runner, tmp_path):
    import json

    portfolio()
    out = runner.invoke(args=["alerts", "whatif", "--date", "2026-11-24", "--days", "7",
                              "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["moves"] == [] and data["rows"]
    assert all(set(r) == {"key", "active", "draft"} and r["active"] == r["draft"]
               for r in data["rows"])
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"band_cutoffs": {"medium": 0.25, "high": 0.4}}))
    out = runner.invoke(args=["alerts", "whatif", "--settings", str(draft), "--date",
                              "2026-11-24", "--days", "30", "--json"])
    data = json.loads(out.output)
    assert [(m["from"], m["to"]) for m in data["moves"] if m["kind"] == "band"] == [
        ("medium", "high")]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"band_cutoffs": {"medium": 0.9, "high": 0.4}}))
    out = runner.invoke(args=["alerts", "whatif", "--settings", str(bad), "--json"])
    assert out.exit_code != 0 and "medium < high" in out.output

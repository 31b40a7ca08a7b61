"""The alert policy editor: validation messages, saving versions, what-if, diff, rollback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.settings import DEFAULT_SETTINGS, active_settings
from portal.extensions import db
from portal.models import AlertPolicy, AuditEvent, ModelVersion, RiskScore
from portal.staff.policy_form import diff, to_form
from tests.factories import make_debtor, make_invoice
from tests.staff.conftest import csrf_token


def policy_form(**changes) -> dict:
    """The form as the browser posts it for the default settings, with `changes`."""
    values = to_form(DEFAULT_SETTINGS)
    values.update(changes)
    return values


def post_policy(client, action: str, values: dict):
    token = csrf_token(client, "/staff/policy")
    return client.post("/staff/policy", data={**values, "action": action, "csrf_token": token})


def test_form_shows_the_active_settings(staff_client):
    client, _ = staff_client("analyst")
    page = client.get("/staff/policy").get_data(as_text=True)
    assert 'name="cut_high" id="f-cut_high" value="0.5"' in page
    assert "built-in defaults" in page


def test_saving_creates_an_active_audited_version(staff_client):
    client, staff = staff_client("analyst")
    response = post_policy(client, "save", policy_form(cut_high="0.6", lead_high="10, 3",
                                                       note="raise high"))
    assert response.status_code == 302
    settings = active_settings()
    assert settings["band_cutoffs"]["high"] == 0.6
    assert settings["lead_days"]["high"] == [10, 3]
    policy = db.session.scalar(select(AlertPolicy).where(AlertPolicy.is_active.is_(True)))
    assert (policy.version, policy.note, policy.created_by_id) == (1, "raise high", staff.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "policy.save"))
    assert event.actor_id == str(staff.id)
    assert event.after["band_cutoffs"]["high"] == 0.6


@pytest.mark.parametrize("changes, message", [
    ({"cut_high": "0.2"}, "Band cut-offs must satisfy 0 &lt; medium &lt; high &lt; 1"),
    ({"cut_high": "lots"}, "Enter a number."),
    ({"channels_high": ""}, "Choose at least one channel."),
    ({"channels_low": "email, pigeon"}, "Unknown channel pigeon"),
    ({"lead_medium": "3, 45"}, "Whole numbers between 0 and 30"),
    ({"per_day": "5", "per_week": "2"}, "Caps must satisfy"),
    ({"quiet_start": "8am"}, "Enter a time like 08:00."),
    ({"plan_min": "COP:20000"}, "currency=amount"),
])
def test_bad_input_is_explained_and_nothing_is_saved(staff_client, changes, message):
    client, _ = staff_client("analyst")
    response = post_policy(client, "save", policy_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    for name, value in changes.items():  # what was typed is kept
        assert f'name="{name}" id="f-{name}" value="{value}"' in page
    assert db.session.scalar(select(AlertPolicy)) is None


def test_missing_weekdays_are_refused(staff_client):
    client, _ = staff_client("analyst")
    values = policy_form(weekdays=[])
    response = post_policy(client, "save", values)
    assert response.status_code == 400
    assert "Allow at least one weekday." in response.get_data(as_text=True)


def _scored_invoice(probability: float, due_in_days: int):
    today = datetime.now(UTC).date()
    debtor = make_debtor(allow_email=True, email="risky@example.com", country="CO")
    invoice = make_invoice(debtor, issued_on=today - timedelta(days=20),
                           due_on=today + timedelta(days=due_in_days))
    model = db.session.scalar(select(ModelVersion)) or ModelVersion(
        algorithm="t", artifact_path="x", sha256="0" * 64, feature_names=[],
        library_versions={}, is_active=True)
    db.session.add(model)
    db.session.flush()
    db.session.add(RiskScore(invoice_id=invoice.id, model_version_id=model.id,
                             probability=probability, band="medium",
                             scored_at=datetime.now(UTC) - timedelta(hours=1)))
    db.session.commit()
    return invoice


def _row(page: str, label: str) -> tuple[str, str]:
    match = re.search(re.escape(f'data-row="{label}"') + r'.*?data-col="active">([^<]*)<'
                      r'.*?data-col="draft">([^<]*)<', page, re.S)
    assert match, label
    return match.group(1), match.group(2)


def test_what_if_shows_active_and_draft_side_by_side(staff_client):
    pytest.importorskip("alerts.planner")
    for due in (5, 6, 8, 9):
        _scored_invoice(0.45, due)
    client, _ = staff_client("analyst")
    response = post_policy(client, "preview", policy_form(cut_high="0.4"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="what-if"' in page
    active, draft = _row(page, "Messages that would be sent")
    assert int(draft) > int(active)  # high risk gets reminders 7 and 2 days ahead too
    assert 'class="changed' in page
    assert db.session.scalar(select(AlertPolicy)) is None  # a preview saves nothing


def test_versions_diff_and_one_click_rollback(staff_client):
    client, staff = staff_client("analyst")
    post_policy(client, "save", policy_form(cut_high="0.6"))
    post_policy(client, "save", policy_form(cut_high="0.7", holdout_share="0.1"))
    page = client.get("/staff/policy/versions").get_data(as_text=True)
    assert "Roll back to this version" in page
    changes = client.get("/staff/policy/diff?a=1&b=2").get_data(as_text=True)
    assert "band_cutoffs.high" in changes and "holdout_share" in changes
    assert "lead_days" not in changes
    token = csrf_token(client, "/staff/policy/versions")
    response = client.post("/staff/policy/rollback/1", data={"csrf_token": token})
    assert response.status_code == 302
    assert active_settings()["band_cutoffs"]["high"] == 0.6
    latest = db.session.scalar(select(AlertPolicy).where(AlertPolicy.is_active.is_(True)))
    assert latest.version == 3 and latest.note == "rollback to version 1"
    assert client.post("/staff/policy/rollback/99", data={"csrf_token": token}).status_code \
        == 404


def test_diff_of_nested_settings():
    old = {"a": {"b": 1, "c": [1]}, "d": 5}
    new = {"a": {"b": 2, "c": [1]}, "e": True}
    assert diff(old, new) == [("a.b", 1, 2), ("d", 5, None), ("e", None, True)]


def test_saving_over_a_version_saved_meanwhile_is_refused(staff_client):
    # Two analysts open the editor on the same version; the second save must not silently
    # undo the first one's change.
    client, _ = staff_client("analyst")
    page = client.get("/staff/policy").get_data(as_text=True)
    assert 'name="base_version" value="0"' in page
    first = post_policy(client, "save", policy_form(cut_high="0.6", base_version="0"))
    assert first.status_code == 302
    stale = post_policy(client, "save", policy_form(cut_medium="0.2", base_version="0"))
    assert stale.status_code == 409
    assert "Someone else saved version 1" in stale.get_data(as_text=True)
    assert 'name="base_version" value="1"' in stale.get_data(as_text=True)
    assert db.session.scalar(select(AlertPolicy).order_by(AlertPolicy.version.desc())
                             ).version == 1
    assert active_settings()["band_cutoffs"]["high"] == 0.6
    again = post_policy(client, "save", policy_form(cut_high="0.6", cut_medium="0.2",
                                                    base_version="1"))
    assert again.status_code == 302
    assert active_settings()["band_cutoffs"] == {"medium": 0.2, "high": 0.6}

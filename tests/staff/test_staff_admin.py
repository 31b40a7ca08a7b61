"""User management, the audit log with filters and CSV, `saldo staff create`, sent mail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from portal.audit import record
from portal.extensions import db
from portal.models import AuditEvent, StaffUser
from portal.staff.csvout import csv_text
from tests.staff.conftest import PASSWORD, csrf_token, login


def post_users(client, url: str = "/staff/users", **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/staff/users")})


def test_admin_creates_a_user_who_can_sign_in(app, staff_client):
    client, admin = staff_client("admin")
    response = post_users(client, email="New.Agent@Saldo.test", role="agent", name="Nia",
                          password=PASSWORD)
    assert response.status_code == 302
    created = db.session.scalar(select(StaffUser).where(StaffUser.email == "new.agent@saldo.test"))
    assert created.role == "agent" and created.password_hash.startswith("scrypt:")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "staff.create", AuditEvent.target_id == str(created.id)))
    assert event.actor_id == str(admin.id) and event.after["role"] == "agent"
    assert "password" not in str(event.after)
    assert login(app.test_client(), "new.agent@saldo.test").status_code == 302


def test_bad_new_users_are_explained(staff_client):
    client, _ = staff_client("admin")
    short = post_users(client, email="a@saldo.test", role="agent", password="short")
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    again = post_users(client, email="admin@saldo.test", role="agent", password=PASSWORD)
    assert "already exists" in again.get_data(as_text=True)
    assert 'value="a@saldo.test"' in short.get_data(as_text=True)  # what was typed stays


def test_role_change_deactivation_and_last_admin_guard(app, staff_client, make_staff):
    client, admin = staff_client("admin")
    analyst = make_staff("analyst")
    post_users(client, f"/staff/users/{analyst.id}", action="role", role="agent")
    post_users(client, f"/staff/users/{analyst.id}", action="deactivate")
    db.session.expire_all()
    changed = db.session.get(StaffUser, analyst.id)
    assert (changed.role, changed.is_active) == ("agent", False)
    assert login(app.test_client(), analyst.email).status_code == 401
    update = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.update")
                                .order_by(AuditEvent.id)).all()
    assert update[0].before["role"] == "analyst" and update[0].after["role"] == "agent"
    response = post_users(client, f"/staff/users/{admin.id}", action="role", role="agent")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, admin.id).role == "admin"  # the last admin stays


def test_password_reset_unlocks(app, staff_client, make_staff):
    client, _ = staff_client("admin")
    agent = make_staff("agent")
    agent.locked_until = datetime(2099, 1, 1, tzinfo=UTC)
    db.session.commit()
    post_users(client, f"/staff/users/{agent.id}", action="password",
               password="a brand new passphrase")
    assert login(app.test_client(), agent.email, "a brand new passphrase").status_code == 302


def test_a_password_reset_ends_the_old_sessions(app, staff_client):
    # The usual reason for a reset is a leaked password: whoever signed in with it must be
    # signed out. The admin who resets their own password stays signed in.
    client, admin = staff_client("admin")
    agent, agent_staff = staff_client("agent")
    assert agent.get("/staff/debtors").status_code == 200
    assert post_users(client, f"/staff/users/{agent_staff.id}", action="password",
                      password="a brand new passphrase").status_code == 302
    response = agent.get("/staff/debtors")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert agent.get("/staff/debtors").status_code == 302  # signed out for good
    assert post_users(client, f"/staff/users/{admin.id}", action="password",
                      password="another new passphrase").status_code == 302
    assert client.get("/staff/users").status_code == 200
    fresh = app.test_client()
    assert login(fresh, agent_staff.email, "a brand new passphrase").status_code == 302
    assert fresh.get("/staff/debtors").status_code == 200


def test_audit_log_filters_and_csv(staff_client):
    client, analyst = staff_client("analyst")
    record("staff", analyst.id, "policy.save", target_type="alert_policy", target_id=1,
           before={"holdout_share": 0.05}, after={"holdout_share": 0.1})
    record("debtor", 7, "dispute.opened", target_type="dispute", target_id=3)
    old = record("system", None, "import.ledger")
    old.occurred_at = datetime(2026, 1, 5, tzinfo=UTC)
    db.session.commit()
    page = client.get("/staff/audit?action=policy.").get_data(as_text=True)
    assert "policy.save" in page and "dispute.opened" not in page
    assert "holdout_share" in page  # the change, before and after
    by_actor = client.get("/staff/audit?actor=debtor:7").get_data(as_text=True)
    assert "dispute.opened" in by_actor and "policy.save" not in by_actor
    by_email = client.get(f"/staff/audit?actor={analyst.email}").get_data(as_text=True)
    assert "policy.save" in by_email and "dispute.opened" not in by_email
    dated = client.get("/staff/audit?since=2026-01-01&until=2026-01-31").get_data(as_text=True)
    assert "import.ledger" in dated and "policy.save" not in dated
    assert client.get("/staff/audit?since=yesterday").status_code == 400
    exported = client.get("/staff/audit.csv?target_type=alert_policy")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["policy.save"]
    assert rows[0]["actor"] == analyst.email and '"holdout_share": 0.1' in rows[0]["after"]


def test_csv_neutralises_spreadsheet_formulas():
    text = csv_text(["a", "b"], [["=HYPERLINK(\"x\")", -5], ["@SUM(A1)", "plain"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [["'=HYPERLINK(\"x\")", "-5"], ["'@SUM(A1)", "plain"]]


def test_cli_creates_staff_from_stdin(runner):
    result = runner.invoke(args=["staff", "create", "--email", "cli@saldo.test", "--role",
                                 "analyst"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created analyst cli@saldo.test" in result.output
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "cli@saldo.test"))
    assert staff is not None and staff.role == "analyst"
    again = runner.invoke(args=["staff", "create", "--email", "cli@saldo.test", "--role",
                                "agent"], input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(args=["staff", "create", "--email", "w@saldo.test", "--role",
                               "agent"], input="weak\n")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    listed = runner.invoke(args=["staff", "list"])
    assert "cli@saldo.test\tanalyst\tactive" in listed.output


def test_sent_mail_page_lists_the_sink_folder(app, staff_client, tmp_path):
    from email.message import EmailMessage

    client, _ = staff_client("agent")
    assert "not configured" in client.get("/staff/mail").get_data(as_text=True)
    folder = tmp_path / "mail"
    folder.mkdir()
    message = EmailMessage()
    message["From"], message["To"] = "Saldo <no-reply@saldo.local>", "someone@example.com"
    message["Subject"] = "Recordatorio de pago"
    message.set_content("Hola, cuerpo")
    (folder / "1.eml").write_bytes(bytes(message))
    app.config["MAILSINK_FOLDER"] = str(folder)
    page = client.get("/staff/mail").get_data(as_text=True)
    assert "Recordatorio de pago" in page and "someone@example.com" in page
    assert "Hola, cuerpo" in page


def test_ensure_staff_user_for_the_demo_login(app):
    from portal.staff.accounts import ensure_staff_user

    first = ensure_staff_user("admin@saldo.local", "saldo-demo-admin", "admin")
    first.locked_until = datetime(2099, 1, 1, tzinfo=UTC)
    db.session.commit()
    again = ensure_staff_user("Admin@Saldo.local", "saldo-demo-admin", "admin")
    assert again.id == first.id and again.locked_until is None
    assert login(app.test_client(), "admin@saldo.local", "saldo-demo-admin").status_code == 302

"""Signed links, the identity check, locking, rate limits, new links, sign-out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.links import SALT
from portal.models import AccessLink, AuditEvent, Message, PortalVisit
from tests.factories import deliver
from tests.portal.conftest import FACT, csrf_from, identified_debtor, link_for, post_form


def _message(db, debtor):
    message = Message(debtor_id=debtor.id, channel="email", template="reminder", rule="lead",
                      reason="due_soon", dedupe_key=f"k-{debtor.id}", status="sent",
                      send_at=datetime.now(UTC))
    db.session.add(message)
    db.session.commit()
    return message


def test_link_tap_records_visit_and_click(client, db, debtor):
    message = _message(db, debtor)
    url = link_for(debtor, message_id=message.id)
    response = client.get(url)
    assert response.status_code == 200
    assert "Confirm it is you" in response.get_data(as_text=True) or "Confirma" in \
        response.get_data(as_text=True)
    visit = db.session.scalar(select(PortalVisit))
    assert visit.debtor_id == debtor.id and visit.message_id == message.id
    db.session.refresh(message)
    assert message.clicked_at is not None
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_no_amount_before_identity_check(client, db, debtor):
    from tests.factories import make_invoice

    make_invoice(debtor, amount_minor=2_500_000_00)
    db.session.commit()
    body = client.get(link_for(debtor)).get_data(as_text=True)
    assert "2.500.000" not in body
    assert client.get("/account").status_code == 302


def test_right_answer_signs_in_and_remembers_device(client, db, debtor):
    url = link_for(debtor)
    response = post_form(client, url, {"answer": " 48-21 "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("saldo_remember="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = datetime.strptime(cookie.split("Expires=")[1].split(";")[0],
                                "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert 29 <= (expires - datetime.now(UTC)).days <= 30
    assert client.get("/account").status_code == 200
    link = db.session.scalar(select(AccessLink))
    db.session.refresh(link)
    assert link.used_at is not None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "debtor.signed_in" in actions
    # Tapping the link again on the same device skips the question.
    assert client.get(url).headers["Location"].endswith("/account")


def test_wrong_answers_lock_the_link_after_five(client, db, debtor):
    url = link_for(debtor)
    for attempt in range(1, 5):
        response = post_form(client, url, {"answer": "0000"})
        assert response.status_code == 200, attempt
        assert "does not match" in response.get_data(as_text=True) or \
            "no coincide" in response.get_data(as_text=True)
    response = post_form(client, url, {"answer": "0000"})
    assert response.status_code == 410
    link = db.session.scalar(select(AccessLink))
    db.session.refresh(link)
    assert link.failures == 5 and link.locked_at is not None
    # Even the right answer no longer works on a locked link.
    assert client.get(url).status_code == 410
    assert client.get("/account").status_code == 302


def test_rate_limit_per_link(client, db, debtor):
    url = link_for(debtor)
    token = csrf_from(client, url)
    codes = [client.post(url, data={"csrf_token": token, "answer": "1"}).status_code
             for _ in range(6)]
    assert codes[-1] == 429


def test_rate_limit_per_ip_across_links(client, db):
    people = [identified_debtor() for _ in range(11)]
    db.session.commit()
    urls = [link_for(p) for p in people]
    token = csrf_from(client, urls[0])
    codes = [client.post(u, data={"csrf_token": token, "answer": "1"}).status_code for u in urls]
    assert codes[:10].count(429) == 0 and codes[10] == 429


def test_tampered_link_shows_friendly_page_without_resend(client, debtor):
    url = link_for(debtor)
    response = client.get(url[:-3] + "abc")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "/link" in body and "/new" not in body


def test_expired_link_offers_new_link_to_contact_on_file(app, client, db, debtor, smtp_server):
    payload = {"l": "missing", "d": debtor.id, "p": "account"}
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT)
    app.config["LINK_MAX_AGE_DAYS"] = -1  # every token is already too old
    token = serializer.dumps(payload)
    response = client.get(f"/l/{token}")
    assert response.status_code == 410
    assert f"/l/{token}/new" in response.get_data(as_text=True)
    csrf = csrf_from(client, "/link")
    sent = client.post(f"/l/{token}/new", data={"csrf_token": csrf, "email": "evil@x.com"})
    app.config["LINK_MAX_AGE_DAYS"] = 7
    assert sent.status_code == 200
    deliver()
    assert [m["To"] for m in smtp_server.messages] == [debtor.email]
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "http://localhost/l/" in body


def without_csrf(html: str) -> str:
    """The page without its CSRF token, which carries a timestamp that ticks every second."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def same_page(one: str, other: str) -> bool:
    return without_csrf(one) == without_csrf(other)


def test_get_my_link_is_neutral_and_sends_only_to_file(client, db, debtor, smtp_server):
    known = post_form(client, "/link", {"contact": debtor.email.upper()})
    unknown = post_form(client, "/link", {"contact": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert same_page(known.get_data(as_text=True), unknown.get_data(as_text=True))
    deliver()
    assert [m["To"] for m in smtp_server.messages] == [debtor.email]
    assert db.session.scalar(select(func.count()).select_from(AccessLink)) == 1


def test_get_my_link_by_phone_is_texted_to_the_phone_on_file(app, client, db, debtor,
                                                              smtp_server):
    from urllib.parse import parse_qs

    from tests.alerts.servers import Recorder

    sms_api = Recorder(lambda request: (201, {"sid": "SM1"}))
    app.config.update(SMS_API_BASE=sms_api.url, SMS_ACCOUNT_SID="AC1", SMS_AUTH_TOKEN="t",
                      SMS_FROM="+15550001")
    try:
        by_phone = post_form(client, "/link", {"contact": debtor.phone.replace("+57", "")})
        deliver()
    finally:
        sms_api.stop()
    assert by_phone.status_code == 200
    assert smtp_server.messages == []  # not emailed: the phone matched, so the phone gets it
    [request] = sms_api.requests
    fields = parse_qs(request["body"].decode())
    assert fields["To"] == [debtor.phone]
    assert "http://localhost/l/" in fields["Body"][0]
    assert fields["Body"][0].startswith("Tu enlace a tu cuenta")  # in the debtor's language
    assert db.session.scalar(select(func.count()).select_from(AccessLink)) == 1


def test_get_my_link_is_rate_limited(client, db):
    codes = [post_form(client, "/link", {"contact": f"x{i}@example.com"}).status_code
             for i in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_debtor_without_identity_fact_is_not_let_in(client, db):
    from tests.factories import make_debtor

    person = make_debtor()
    db.session.commit()
    url = link_for(person)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"answer": FACT}).status_code in (400, 403)
    assert client.get("/account").status_code == 302


def test_sign_out(client, db, debtor):
    post_form(client, link_for(debtor), {"answer": FACT})
    assert client.get("/account").status_code == 200
    response = post_form(client, "/signout", form_url="/account")
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert "debtor.signed_out" in db.session.scalars(select(AuditEvent.action)).all()


def test_forms_refuse_missing_csrf(client, debtor):
    response = client.post(link_for(debtor), data={"answer": FACT})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_the_request_only_queues_the_link_and_the_urgent_loop_sends_it(app, client, db,
                                                                       debtor, smtp_server):
    """No thread and no SMTP in the web request: it writes one outbox row; the scheduler's
    urgent loop (here run for a moment) sends it with the dispatcher."""
    from alerts.urgent import urgent_loop

    response = post_form(client, "/link", {"contact": debtor.email})
    assert response.status_code == 200 and smtp_server.messages == []
    [queued] = db.session.scalars(select(Message).where(Message.kind == "signin_link")).all()
    assert (queued.status, queued.channel) == ("pending", "email")
    counts = urgent_loop(seconds=0.3, poll=0.1)
    assert counts["sent"] == 1
    assert [m["To"] for m in smtp_server.messages] == [debtor.email]
    db.session.refresh(queued)
    assert queued.status == "sent"


def test_sign_in_starts_a_fresh_session(client, db, debtor):
    """Session fixation: a session planted before sign-in (its CSRF secret, a staff user's
    state) must not carry over into the debtor's signed-in session."""
    url = link_for(debtor)
    token = csrf_from(client, url)
    with client.session_transaction() as session:
        planted_secret = session["csrf_token"]
        session["planted"] = "attacker"
    response = client.post(url, data={"csrf_token": token, "answer": FACT})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    with client.session_transaction() as session:
        assert session.get("_user_id") == debtor.get_id()
        assert "planted" not in session
        assert session.get("csrf_token") != planted_secret
    # The old form token is useless now; a fresh one works.
    stale = client.post("/language", data={"csrf_token": token, "language": "en"})
    assert stale.status_code == 400
    assert post_form(client, "/language", {"language": "en"}, form_url="/account"
                     ).status_code == 302


def test_debtor_sign_in_replaces_a_staff_session(client, db, debtor):
    from portal.models import StaffUser
    from tests.factories import sign_in

    staff = StaffUser(email="agent@example.test", name="Agent", role="agent", password_hash="x")
    db.session.add(staff)
    db.session.commit()
    sign_in(client, staff)
    with client.session_transaction() as session:
        session["staff_marker"] = "x"
    response = post_form(client, link_for(debtor), {"answer": FACT})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("_user_id") == debtor.get_id()
        assert "staff_marker" not in session
    assert client.get("/account").status_code == 200


def test_parallel_wrong_answers_cannot_outrun_the_lock(app, db, debtor):
    """A wrong answer counts against the stored number, not the copy a request read before
    other wrong answers (in other workers) landed."""
    from sqlalchemy import update

    from portal.debtor.identity import MAX_FAILURES, register_failure
    from portal.links import open_token

    token = link_for(debtor).removeprefix("/l/")
    link = open_token(token, "account").link
    assert link.failures in (0, None)
    db.session.execute(update(AccessLink).where(AccessLink.id == link.id)
                       .values(failures=MAX_FAILURES - 1)
                       .execution_options(synchronize_session=False))
    assert register_failure(link) is True
    db.session.commit()
    db.session.refresh(link)
    assert link.failures == MAX_FAILURES and link.locked_at is not None


def test_get_my_link_cannot_flood_a_debtors_inbox(client, db, debtor, smtp_server):
    """The answer stays the same, but at most three fresh links an hour go to one debtor."""
    answers = [without_csrf(post_form(client, "/link", {"contact": debtor.email})
                            .get_data(as_text=True)) for _ in range(4)]
    assert len(set(answers)) == 1
    deliver()
    assert len(smtp_server.messages) == 3
    # Reminder links (tied to a message) do not use up the allowance, and vice versa.
    link_for(debtor, message_id=_message(db, debtor).id)
    assert len(smtp_server.messages) == 3

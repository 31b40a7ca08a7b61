"""Attacks that need several workers: rate limits and lockouts must hold across gunicorn
workers (and a killed worker), parallel wrong passwords cannot outrun the lockout, the
access log carries no live tokens, and template attacks do not take the site down."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent
from portal.staff import accounts
from tests.security.conftest import PASSWORD
from tests.security.server import gunicorn

pytestmark = pytest.mark.slow
LIMIT = 10  # staff sign-in: 10 per minute per address


def _login_attempt(server, session, token, email, password="wrong password here"):  # noqa: S107
    return session.post(server.url + "/staff/login", timeout=240,
                        data={"email": email, "password": password, "csrf_token": token})


def _parallel(count, call):
    start = threading.Barrier(count)

    def run(_):
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def failed_checks(staff) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "staff.login_failed", AuditEvent.target_id == str(staff.id)))


def test_the_sign_in_limit_is_shared_by_two_workers_and_survives_killing_them(
        app, database_url, tmp_path, make_staff):
    email = make_staff("agent").email
    with gunicorn(database_url, tmp_path / "web") as server:
        assert len(server.workers()) == 2
        session = server.session()
        token = server.csrf(session, "/staff/login")
        statuses = _parallel(2 * LIMIT, lambda: _login_attempt(server, session, token,
                                                               email).status_code)
        assert sorted(statuses) == [401] * LIMIT + [429] * LIMIT
        server.kill_workers()  # the counts must not live in the workers
        assert _login_attempt(server, session, token, email).status_code == 429


def test_sixteen_parallel_wrong_passwords_get_exactly_five_checks_across_workers(
        app, database_url, tmp_path, make_staff):
    staff = make_staff("agent")
    email = staff.email
    with gunicorn(database_url, tmp_path / "web") as server:
        session = server.session()
        token = server.csrf(session, "/staff/login")
        statuses = _parallel(16, lambda: _login_attempt(server, session, token,
                                                        email).status_code)
        assert statuses.count(401) == LIMIT and statuses.count(429) == 16 - LIMIT
    db.session.expire_all()
    assert failed_checks(staff) == accounts.MAX_FAILURES
    assert accounts.is_locked(db.session.get(type(staff), staff.id))


def test_sixteen_parallel_wrong_passwords_in_threads_get_exactly_five_checks(app, make_staff):
    """The same race with real threads in one process, without rate limits in the way."""
    staff = make_staff("agent")
    email, real_hash, checks, lock = staff.email, staff.password_hash, [], threading.Lock()
    db.session.rollback()  # this thread's read transaction must not hold SQLite's lock
    original = accounts.check_password_hash

    def counting(stored, password):
        if stored == real_hash:
            with lock:
                checks.append(password)
        return original(stored, password)

    def attempt():
        with app.app_context():
            try:
                result = accounts.authenticate(email, "wrong password here")
                db.session.commit()
                return result.error
            finally:
                db.session.remove()

    accounts.check_password_hash = counting
    try:
        results = _parallel(16, attempt)
    finally:
        accounts.check_password_hash = original
    assert results == ["invalid"] * 16
    assert len(checks) == accounts.MAX_FAILURES
    db.session.expire_all()
    assert failed_checks(staff) == accounts.MAX_FAILURES
    # Locked now: even the right password is not checked until the lock ends.
    assert accounts.authenticate(staff.email, PASSWORD).staff is None
    assert len(checks) == accounts.MAX_FAILURES


def test_redis_storage_is_used_when_configured(app, database_url, tmp_path, make_staff):
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at 127.0.0.1:6379 for this test: {exc}")
    prefix = f"saldo-test-{secrets.token_hex(6)}"
    email = make_staff("agent").email
    try:
        with gunicorn(database_url, tmp_path / "web", SALDO_RATELIMIT_PREFIX=prefix,
                      RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0") as server:
            session = server.session()
            token = server.csrf(session, "/staff/login")
            statuses = _parallel(LIMIT + 4, lambda: _login_attempt(
                server, session, token, email).status_code)
            assert statuses.count(429) == 4
            assert client.keys(f"*{prefix}*")  # the counts are in Redis
            assert not (tmp_path / "web" / "ratelimits.sqlite").exists()
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def test_the_access_log_masks_link_tokens(app, database_url, tmp_path):
    from tests.security.conftest import identified_debtor, link_for

    debtor = identified_debtor()
    db.session.commit()
    path = link_for(debtor)
    token = path.rsplit("/", 1)[1]
    with gunicorn(database_url, tmp_path / "web", secret=app.config["SECRET_KEY"]) as server:
        assert requests.get(server.url + path, timeout=30).status_code == 200
        requests.get(server.url + "/u/" + token + "?token=" + token, timeout=30)
        requests.get(server.url + "/healthz", timeout=30)
        log = server.log_text()
    assert "GET /l/[token] HTTP/1.1" in log and "/u/[token]?token=[redacted]" in log
    assert token not in log


def test_template_attacks_do_not_take_the_site_down(app, database_url, tmp_path, make_staff):
    """The attack seen: one preview killed a worker after 30 s; two made the site stop
    answering. Now each attack is refused at once while the site keeps answering."""
    email = make_staff("analyst").email
    url = "/staff/templates/gentle/email/es"
    with gunicorn(database_url, tmp_path / "web") as server:
        analysts = []
        for _ in range(2):
            session = server.session()
            token = server.csrf(session, "/staff/login")
            assert _login_attempt(server, session, token, email, PASSWORD).status_code \
                in (200, 302)
            analysts.append(session)

        def attack(session, body):
            token = server.csrf(session, url)
            return session.post(server.url + url, timeout=60, data={
                "subject": "x", "body": body, "action": "preview", "csrf_token": token})

        bodies = ["{{ 'a'*10000*10000 }}",
                  "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                  "{% endfor %}"]
        with ThreadPoolExecutor(max_workers=3) as pool:
            attacks = [pool.submit(attack, s, b) for s, b in zip(analysts, bodies, strict=True)]
            health = requests.get(server.url + "/healthz", timeout=60)
            answers = [a.result() for a in attacks]
        assert health.status_code == 200
        for answer in answers:
            assert answer.status_code == 400 and "cannot be rendered" in answer.text

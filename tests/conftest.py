"""Shared fixtures: every database test runs on SQLite and, when reachable, on PostgreSQL.

A throwaway PostgreSQL database is created per test run (dropped at the end) and both
schemas are built by the real migrations. Each test starts on empty tables.
Set SALDO_REQUIRE_POSTGRES=1 (CI does) to fail instead of skipping when PostgreSQL is absent.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db as _db

PG_ADMIN_URL = os.environ.get(
    "SALDO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHARED_DATASET = (
    Path(__file__).resolve().parents[2] / "shared/datasets/ar_late_payments_2012-01_2013-06.csv"
)


def postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@pytest.fixture(scope="session")
def pg_database():
    """Create a throwaway PostgreSQL database for this run; yield its URL; drop it."""
    if not postgres_reachable():
        if os.environ.get("SALDO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"saldo_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {**_config_dict(), "SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        upgrade()
        _db.engine.dispose()


def _config_dict() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated database of each kind, shared by the run and emptied between tests."""
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{instance / 'test.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    os.environ["SALDO_INSTANCE_PATH"] = str(instance)
    _migrate(url, instance)
    return url


def only_on(kind: str):
    """Run a test on one database only ("sqlite" or "postgresql"), for a code path that
    exists on that database alone; PostgreSQL tests still say why when it is unreachable."""
    return pytest.mark.parametrize("database_url", [kind], indirect=True)


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": database_url})
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        yield application
        _db.session.remove()
        _truncate_all()
        _db.engine.dispose()


def _fresh_request_globals(sender, **extra) -> None:
    """This fixture keeps one app context open (so tests can use the session), and so `g`
    outlives each request; a real server starts every request with an empty `g`. Clear what
    Flask-Login, Flask-WTF and `portal.auth`/`portal.debtor.format` cache there, so clients
    in one test never share a user, a CSRF token or a display locale."""
    for name in ("_login_user", "csrf_token", "saldo_debtor", "saldo_display_locale"):
        g.pop(name, None)


def _truncate_all() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def shared_dataset() -> Path:
    if not SHARED_DATASET.exists():
        pytest.skip(f"shared dataset not present at {SHARED_DATASET}")
    return SHARED_DATASET


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free port; the app is pointed at it.

    Yields the sink handler: `.messages` holds every email.message.EmailMessage received.
    """
    from portal.mailsink import start_sink

    port = free_port()
    controller, handler = start_sink("127.0.0.1", port)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield handler
    controller.stop()

"""The web app's database round trips (`portal.dbconn`): read-only pages never write and, on
PostgreSQL, run without a transaction; pooled connections that the server closed are replaced
without a ping; and the memo of paid-invoice lines follows every fact and language it shows."""

from __future__ import annotations

import time
from datetime import date

import psycopg
import pytest
from sqlalchemy import event, text

from portal.dbconn import READ_ONLY_VIEWS, server_closed
from portal.extensions import db as _db
from portal.models import Invoice
from tests.conftest import PG_ADMIN_URL, only_on
from tests.factories import make_debtor, make_invoice, make_payment, sign_in


def _signed_in_with_history(client, db, locale="es_CO"):
    debtor = make_debtor(locale=locale)
    paid = make_invoice(debtor, issued_on=date(2026, 9, 1), status="paid",
                        settled_on=date(2026, 9, 20), amount_minor=123_456_00)
    make_payment(paid)
    open_ = make_invoice(debtor, issued_on=date(2026, 11, 1))
    db.session.commit()
    sign_in(client, debtor)
    return debtor, paid, open_


def _urls(paid, open_) -> dict[str, str]:
    return {"debtor.account": "/account", "debtor.invoice": f"/invoices/{open_.id}",
            "debtor.invoice_print": f"/invoices/{paid.id}/print"}


def _record(app, client, url: str, method: str = "GET", **kwargs):
    """The statements a request runs, each with whether its connection was in autocommit."""
    seen: list[tuple[str, bool | None]] = []

    def record(conn, cursor, statement, *args):
        seen.append((statement, getattr(conn.connection.dbapi_connection, "autocommit", None)))

    engine = _db.engine
    _db.session.remove()  # the request starts from a session with no transaction, as served
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.open(url, method=method, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, seen


def test_every_read_only_view_is_covered_and_writes_nothing(app, client, db):
    _debtor, paid, open_ = _signed_in_with_history(client, db)
    urls = _urls(paid, open_)
    assert set(urls) == READ_ONLY_VIEWS  # a view added to the set gets a check here
    for endpoint, url in urls.items():
        response, seen = _record(app, client, url)
        assert response.status_code == 200, (endpoint, response.status_code)
        assert seen, endpoint
        writes = [s for s, _ in seen if s.lstrip().split()[0].upper()
                  in ("INSERT", "UPDATE", "DELETE")]
        assert writes == [], (endpoint, writes)


@only_on("postgresql")
def test_read_only_views_run_without_a_transaction_and_others_keep_theirs(app, client, db):
    _debtor, paid, open_ = _signed_in_with_history(client, db)
    for endpoint, url in _urls(paid, open_).items():
        response, seen = _record(app, client, url)
        assert response.status_code == 200
        assert {autocommit for _, autocommit in seen} == {True}, endpoint
    # A page that is not in the set (it may write) keeps its transaction ...
    response, seen = _record(app, client, "/preferences")
    assert response.status_code == 200 and seen
    assert {autocommit for _, autocommit in seen} == {False}
    # ... and the connections back in the pool are transactional again.
    with _db.engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False
        conn.execute(text("SELECT 1"))
        assert conn.in_transaction()


@only_on("postgresql")
def test_classic_mode_keeps_a_transaction_and_the_pre_ping(database_url, tmp_path, monkeypatch):
    from portal import create_app
    from tests.conftest import _config_dict

    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": database_url,
                      "DB_ROUND_TRIPS": "classic"})
    with app.app_context():
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        from portal.dbconn import _read_only_without_transaction

        assert _read_only_without_transaction not in app.before_request_funcs.get(None, [])
        _db.engine.dispose()


def _terminate_other_backends(database: str) -> int:
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as admin:
        return len(admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall())


@only_on("postgresql")
def test_a_connection_the_server_closed_is_detected_without_a_query(app, db):
    with _db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert server_closed(raw) is False  # alive and idle: nothing to read
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.rollback()
        assert _terminate_other_backends(database) >= 1
        deadline = time.monotonic() + 5
        while not server_closed(raw) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server_closed(raw) is True
        conn.invalidate()


@only_on("postgresql")
def test_pages_still_load_after_the_server_drops_every_pooled_connection(app, client, db):
    _debtor, paid, open_ = _signed_in_with_history(client, db)
    pooled = _db.engine.pool
    assert client.get("/account").status_code == 200
    assert client.get("/preferences").status_code == 200
    _db.session.remove()
    assert pooled.checkedin() >= 1  # idle connections waiting in the pool
    with _db.engine.connect() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
    # The server ends them all (a restart, an administrator, idle_session_timeout).
    assert _terminate_other_backends(database) >= 1
    time.sleep(0.2)
    for url in ("/account", f"/invoices/{open_.id}", "/preferences", "/account"):
        assert client.get(url).status_code == 200, url


# The memo of paid lines -------------------------------------------------------------------

def _paid_row(page: str) -> str:
    start = page.index('id="paid-h"')
    return page[start:start + 2000]


def test_a_paid_line_follows_the_language_and_the_facts_it_shows(app, client, db):
    debtor, paid, _open = _signed_in_with_history(client, db)
    spanish = _paid_row(client.get("/account").get_data(as_text=True))
    assert "Pagada" in spanish and "123.456" in spanish and "Pagada el 20/09/2026" in spanish
    assert f'href="/invoices/{paid.id}"' in spanish

    debtor.locale = "en_US"
    db.session.commit()
    english = _paid_row(client.get("/account").get_data(as_text=True))
    assert "Paid" in english and "Pagada" not in english
    assert "123,456" in english and "Paid Sep 20, 2026" in english

    invoice = db.session.get(Invoice, paid.id)
    invoice.amount_minor = invoice.paid_minor = 99_000_00
    invoice.settled_on = date(2026, 9, 25)
    invoice.description = "Water, September"
    db.session.commit()
    changed = _paid_row(client.get("/account").get_data(as_text=True))
    assert "99,000" in changed and "123,456" not in changed
    assert "Paid Sep 25, 2026" in changed and "Water, September" in changed



@pytest.mark.parametrize("root", ["", "/saldo"])
def test_a_paid_line_links_under_the_address_the_app_is_served_at(app, client, db, root):
    _debtor, paid, _open = _signed_in_with_history(client, db)
    page = client.get("/account", base_url=f"http://localhost{root}").get_data(as_text=True)
    assert f'href="{root}/invoices/{paid.id}"' in _paid_row(page)

"""How the web app spends its database round trips.

A signed-in page on PostgreSQL used to cost five round trips for two queries: SQLAlchemy's
`pool_pre_ping` (`SELECT 1`), psycopg's `BEGIN`, the two queries, and the `ROLLBACK` that
returns the connection to the pool. Each costs CPU on both sides and two context switches,
which under load is as much as the queries themselves (issue 17). Two changes:

- **Liveness without a round trip.** When PostgreSQL ends a connection (a restart, an
  administrator's `pg_terminate_backend`, `idle_session_timeout`, the server process dying),
  it sends an error and closes the socket, or the kernel closes it: either way an idle pooled
  connection's socket becomes readable. On checkout we ask the socket (a zero-timeout
  `select`), and a readable or broken connection is discarded and replaced, as SQLAlchemy's
  pre-ping would have done (its documented `DisconnectionError` protocol). Nothing else makes
  an idle pooled connection readable in Saldo (the web app does not LISTEN); a false alarm
  would only cost a reconnect. A silent network partition is caught by neither this nor a
  ping (both would wait on TCP), which is what `pool_recycle` is for.
- **Read-only pages without a transaction.** The pages in `READ_ONLY_VIEWS` only read, so
  for a signed-in browser (the session cookie names a server-side session, hence the
  remember-me sign-in, which writes, does not run) their connection runs in autocommit: no
  `BEGIN`, and nothing to roll back on return. SQLAlchemy restores the engine's isolation
  level when the connection goes back to the pool.

On SQLite neither applies (no socket; a transaction there costs no round trip).
"""

from __future__ import annotations

import select

from flask import Flask, request, session
from sqlalchemy import event, exc

from portal.extensions import db
from portal.sessions import SID_KEY

# GET views that never write (tests check that each of them runs no INSERT, UPDATE or DELETE).
READ_ONLY_VIEWS = frozenset({"debtor.account", "debtor.invoice", "debtor.invoice_print"})
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def server_closed(dbapi_connection) -> bool:
    """Whether PostgreSQL has closed this idle psycopg connection (or it is unusable)."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg 3: nothing to ask
        return False
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except Exception:  # psycopg's OperationalError, OSError, ValueError: no usable socket
        return True
    return bool(readable)


def _check_on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    if server_closed(dbapi_connection):
        # The pool closes this one and checks out (or opens) another.
        raise exc.DisconnectionError("the database server closed this connection")


def _read_only_without_transaction() -> None:
    if (request.method in READ_ONLY_METHODS and request.endpoint in READ_ONLY_VIEWS
            and session.get(SID_KEY) and not db.session().in_transaction()):
        # (A session already in use, as when a test's app context outlives the request, keeps
        # its transaction.)
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def init_connections(app: Flask) -> None:
    """Attach the checkout check to every PostgreSQL engine; run read-only pages in autocommit
    there. Both stay off with `SALDO_DB_ROUND_TRIPS=classic` (pre-ping and a transaction on
    every request, as before: `portal.config`)."""
    if app.config.get("DB_ROUND_TRIPS", "lean") == "classic":
        return
    with app.app_context():
        engines = list(db.engines.values())
    postgres = [engine for engine in engines if engine.dialect.name == "postgresql"]
    for engine in postgres:
        if not event.contains(engine, "checkout", _check_on_checkout):
            event.listen(engine, "checkout", _check_on_checkout)
    if postgres and engines == postgres:
        # First, before anything else in the request touches the session.
        app.before_request_funcs.setdefault(None, []).insert(0, _read_only_without_transaction)

"""gunicorn settings for Saldo's web app: `gunicorn -c gunicorn.conf.py` (see README).

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS. The access log
goes to standard output with tokens in paths masked (`portal.gunicorn_logging`).
"""

import os

wsgi_app = "portal:create_app()"
bind = os.environ.get("SALDO_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("SALDO_THREADS", "1"))
timeout = int(os.environ.get("SALDO_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then (a guard against slow leaks). Not too often: gunicorn's master
# notices a worker's exit on its next one-second tick, so each recycle leaves one of the
# workers missing for about a second (measured: with 2,000 a busy worker went every ~7 s).
max_requests = int(os.environ.get("SALDO_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Build the app once in the master and fork workers from it: a recycled or killed worker is
# back in milliseconds instead of re-importing everything (about a second of CPU, during
# which its share of the requests queued). New code then needs a restart, not a HUP.
# SALDO_PRELOAD=0 switches it off.
preload_app = os.environ.get("SALDO_PRELOAD", "1").strip().lower() not in ("0", "false", "no")
accesslog = "-"
errorlog = "-"
logger_class = "portal.gunicorn_logging.RedactingLogger"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
# Trust X-Forwarded-* only from the proxies in front (SALDO_PROXY_COUNT in the app decides
# how many hops it reads); by default gunicorn trusts 127.0.0.1.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """With preload_app: compile the templates and load the catalogues once in the master, so
    every worker forked from it (at start, after max_requests, after a crash) starts warm."""
    app = getattr(server.app, "callable", None) if preload_app else None
    if "sqlalchemy" in getattr(app, "extensions", {}):  # Saldo's app
        from portal import warm_up

        warm_up(app)


def post_fork(server, worker):
    """A forked worker must not use database connections pooled in the master (two processes
    on one socket): drop them without closing, as SQLAlchemy advises for forked pools."""
    app = getattr(server.app, "callable", None) if preload_app else None
    if "sqlalchemy" not in getattr(app, "extensions", {}):  # not Saldo's app (or not loaded)
        return
    from portal.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)

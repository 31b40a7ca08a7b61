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
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
logger_class = "portal.gunicorn_logging.RedactingLogger"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
# Trust X-Forwarded-* only from the proxies in front (SALDO_PROXY_COUNT in the app decides
# how many hops it reads); by default gunicorn trusts 127.0.0.1.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

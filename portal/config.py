"""Configuration, read from environment variables (and a `.env` file when present).

`Config` holds development defaults that run with no setup at all (SQLite in the instance
folder, a local Stripe, a local mail sink). `ProductionConfig` refuses to start without a
real `SECRET_KEY`. `TestConfig` is what the test suite passes to `create_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_int(name: str, default: int) -> int:
    raw = env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain `postgres://` / `postgresql://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def dev_secret_key(instance_path: str) -> str:
    """A secret generated once into the instance folder, for development only."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


MIN_SECRET_BYTES = 32
KEY_RECIPE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
_PUBLISHED_DIRS = ("portal", "alerts", "payments", "risk", "migrations", "tests", "benches",
                   "docs", "requirements")
_PUBLISHED_SUFFIXES = {".py", ".md", ".txt", ".html", ".cfg", ".toml", ".ini", ".yml", ".yaml",
                       ".json", ".example", ".env", ".po", ".pot", ".sh"}


def published_text_files(root: Path):
    """The project's own code and documentation (what anyone can read on the repository)."""
    for path in root.glob("*"):
        if path.is_file() and (path.suffix in _PUBLISHED_SUFFIXES or path.name == "Makefile"):
            yield path
    for folder in _PUBLISHED_DIRS:
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in _PUBLISHED_SUFFIXES:
                yield path


def secret_key_problem(key: str, root: Path | None = None) -> str | None:
    """Why `key` must not sign production sessions and links (None: it may).

    Refused: fewer than MIN_SECRET_BYTES bytes, or a value written anywhere in the code or
    the docs (the test key, an example from a README), which anyone can read."""
    advice = f"Generate one with: {KEY_RECIPE}"
    if len(key.encode()) < MIN_SECRET_BYTES:
        return (f"SECRET_KEY is too short ({len(key.encode())} bytes; at least "
                f"{MIN_SECRET_BYTES} are needed): with a short key sessions and links can be "
                f"forged. {advice}")
    root = root or Path(__file__).resolve().parent.parent
    for path in published_text_files(root):
        try:
            if key in path.read_text(encoding="utf-8", errors="ignore"):
                return (f"SECRET_KEY appears in {path.relative_to(root)}: a key published in "
                        f"the code or the docs is no secret. {advice}")
        except OSError:
            continue
    return None


class Config:
    ENV_NAME = "development"
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")  # None: SQLite file in the instance folder
    # Pooled PostgreSQL connections are checked for a server-side close on checkout without a
    # round trip (`portal.dbconn`), and recycled after half an hour against silent network
    # drops. SALDO_DB_ROUND_TRIPS=classic: SQLAlchemy's pre-ping and a transaction per request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_recycle": 1800}
    DB_ROUND_TRIPS = env("SALDO_DB_ROUND_TRIPS", "lean")

    # Public address of the portal, used in links sent by email/SMS from background jobs.
    BASE_URL = env("SALDO_BASE_URL", "http://127.0.0.1:5000")
    DEFAULT_LOCALE = env("SALDO_DEFAULT_LOCALE", "es")
    DEFAULT_TIMEZONE = env("SALDO_DEFAULT_TIMEZONE", "America/Bogota")
    DEFAULT_CURRENCY = env("SALDO_DEFAULT_CURRENCY", "USD")
    SUPPORTED_LOCALES = ("es", "pt_BR", "en")
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Debtor access links and sessions.
    LINK_MAX_AGE_DAYS = env_int("SALDO_LINK_MAX_AGE_DAYS", 7)
    REMEMBER_COOKIE_DAYS = env_int("SALDO_REMEMBER_DAYS", 30)
    IDENTITY_CHECK = env("SALDO_IDENTITY_CHECK", "document_last4")
    # Key for the identity-fact HMAC (defaults to SECRET_KEY; set it to rotate SECRET_KEY).
    IDENTITY_PEPPER = env("SALDO_IDENTITY_PEPPER")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SALDO_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    UPLOAD_FOLDER = env("SALDO_UPLOAD_FOLDER")  # None: instance/uploads (outside the web root)
    # Ledger files dropped here are imported by the scheduler, once each (None: switched off).
    IMPORT_DIR = env("SALDO_IMPORT_DIR")
    IMPORT_SETTLE_SECONDS = env_int("SALDO_IMPORT_SETTLE_SECONDS", 60)  # still being copied

    # Shared by every web worker: Redis (or any `limits` storage URI) when set, else a SQLite
    # file in the instance folder (portal/ratelimit.py). Never per-process memory.
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI")
    RATELIMIT_STRATEGY = "fixed-window"
    RATELIMIT_KEY_PREFIX = env("SALDO_RATELIMIT_PREFIX", "saldo")
    # API requests per key and per client address (Flask-Limiter syntax).
    API_RATE_LIMIT = env("SALDO_API_RATE_LIMIT", "600 per minute")
    API_ADDRESS_RATE_LIMIT = env("SALDO_API_ADDRESS_RATE_LIMIT", "3000 per minute")
    RATELIMIT_HEADERS_ENABLED = True

    # Stripe (embedded default: localstripe on 127.0.0.1:8420, started by `make demo`).
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "sk_test_saldo_local")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "pk_test_saldo_local")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "whsec_saldo_local")
    STRIPE_API_BASE = env("STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_JS_URL = env("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")
    PAYMENT_MIN_MINOR = env_int("SALDO_PAYMENT_MIN_MINOR", 100)
    STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 20)  # seconds per Stripe request
    STRIPE_NETWORK_RETRIES = env_int("STRIPE_NETWORK_RETRIES", 1)

    # Mail (embedded default: the local mail sink on 127.0.0.1:8025, started by `make demo`).
    SMTP_HOST = env("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = env_int("SMTP_PORT", 8025)
    SMTP_USERNAME = env("SMTP_USERNAME")
    SMTP_PASSWORD = env("SMTP_PASSWORD")
    SMTP_STARTTLS = env_bool("SMTP_STARTTLS", False)
    MAIL_FROM = env("MAIL_FROM", "Saldo <no-reply@saldo.local>")
    # Where the demo's local mail sink writes messages, so the staff area can show them.
    MAILSINK_FOLDER = env("SALDO_MAILSINK_FOLDER")
    # Replies: every email's Reply-To is reply+<signed token>@INBOUND_DOMAIN (route that
    # domain's mail to POST /inbound/email or to the IMAP mailbox below).
    INBOUND_DOMAIN = env("SALDO_INBOUND_DOMAIN", "reply.saldo.local")
    REPLY_TOKEN_KEY = env("SALDO_REPLY_TOKEN_KEY")  # None: derived from SECRET_KEY
    # POST /inbound/email: the shared secret (header X-Saldo-Inbound-Secret, ?secret= or
    # the password of https://user:secret@host/inbound/email). Unset: every post is 403.
    INBOUND_EMAIL_SECRET = env("SALDO_INBOUND_EMAIL_SECRET")
    # POST /inbound/twilio is verified with SMS_AUTH_TOKEN against this URL (set it when a
    # proxy changes what the app sees), else the request's own URL.
    TWILIO_WEBHOOK_URL = env("SALDO_TWILIO_WEBHOOK_URL")
    INBOUND_RATE_LIMIT = env("SALDO_INBOUND_RATE_LIMIT", "120 per minute")
    INBOUND_SENDER_RATE_LIMIT = env("SALDO_INBOUND_SENDER_RATE_LIMIT", "20 per minute")
    # Optional IMAP mailbox polled every minute for replies (a plain mailbox, no provider).
    IMAP_HOST = env("SALDO_IMAP_HOST")
    IMAP_PORT = env_int("SALDO_IMAP_PORT", 993)
    IMAP_SSL = env_bool("SALDO_IMAP_SSL", True)
    IMAP_USER = env("SALDO_IMAP_USER")
    IMAP_PASSWORD = env("SALDO_IMAP_PASSWORD")
    IMAP_FOLDER = env("SALDO_IMAP_FOLDER", "INBOX")
    # The urgent outbox loop (sign-in links, receipts, replies): its run length and poll.
    URGENT_LOOP_SECONDS = env_int("SALDO_URGENT_LOOP_SECONDS", 58)
    URGENT_POLL_SECONDS = float(env("SALDO_URGENT_POLL_SECONDS", "0.25"))

    # SMS / WhatsApp through a Twilio-compatible API; empty base URL: record to the outbox only.
    SMS_API_BASE = env("SMS_API_BASE")
    SMS_ACCOUNT_SID = env("SMS_ACCOUNT_SID")
    SMS_AUTH_TOKEN = env("SMS_AUTH_TOKEN")
    SMS_FROM = env("SMS_FROM")
    WHATSAPP_FROM = env("WHATSAPP_FROM")

    # Web Push (VAPID).
    VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY")
    VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY")
    VAPID_SUBJECT = env("VAPID_SUBJECT", "mailto:ops@saldo.local")

    # Reminders: the creditor's name in messages; dispatcher lease and sender threads.
    COMPANY_NAME = env("SALDO_COMPANY_NAME", "Saldo")
    ALERTS_LEASE_SECONDS = env_int("SALDO_ALERTS_LEASE_SECONDS", 300)
    ALERTS_SEND_WORKERS = env_int("SALDO_ALERTS_SEND_WORKERS", 8)

    # Staff console sessions.
    STAFF_IDLE_MINUTES = env_int("SALDO_STAFF_IDLE_MINUTES", 30)
    STAFF_SESSION_HOURS = env_int("SALDO_STAFF_SESSION_HOURS", 12)

    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0: none).
    # Rate limits and audit IPs use the client address only when this is right.
    PROXY_COUNT = env_int("SALDO_PROXY_COUNT", 0)

    LOG_LEVEL = env("LOG_LEVEL", "INFO")

    # Outbound webhooks: private/loopback/link-local targets only in development.
    WEBHOOKS_ALLOW_PRIVATE = env_bool("SALDO_WEBHOOKS_ALLOW_PRIVATE", True)
    WEBHOOKS_TIMEOUT_SECONDS = env_int("SALDO_WEBHOOKS_TIMEOUT_SECONDS", 10)


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Real Stripe unless told otherwise; without a secret key online payment is switched off.
    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = env("STRIPE_API_BASE")
    STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Private, loopback and link-local webhook targets: never in production, whatever
    # SALDO_WEBHOOKS_ALLOW_PRIVATE says (it is for development and the demo only).
    WEBHOOKS_ALLOW_PRIVATE = False
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    BASE_URL = "http://localhost"
    SERVER_NAME = None
    # No mail leaves a test unless it starts its own SMTP server (the `smtp_server` fixture):
    # port 1 on loopback refuses at once, so a developer's running demo sink is never touched.
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 1
    MAILSINK_FOLDER = None
    WEBHOOKS_ALLOW_PRIVATE = False  # tests that deliver to 127.0.0.1 turn it on
    WEBHOOKS_TIMEOUT_SECONDS = 5


def config_for_environment() -> type[Config]:
    name = (env("SALDO_ENV") or env("FLASK_ENV") or "development").lower()
    return ProductionConfig if name == "production" else Config

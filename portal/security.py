"""Security headers, safe redirects and database connection settings for every app."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # pragma: no cover - trivial
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL: readers never wait for a writer, and a writer waits only for another writer's
    # short transaction (the ledger import applies its rows in short ones).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def content_security_policy(extra_script_src: str = "", extra_frame_src: str = "") -> str:
    script = f"'self' {extra_script_src}".strip()
    frame = f"{extra_frame_src}".strip() or "'none'"
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        f"connect-src 'self' {extra_script_src}".rstrip() + "; "
        f"frame-src {frame}; "
        "frame-ancestors 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "object-src 'none'"
    )


def init_security(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if production:
            headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response


def safe_next(target: str | None, default: str, prefix: str = "/") -> str:
    """`target` when it is a same-site path under `prefix`, else `default` (no open
    redirects: used by the debtor pages and the staff sign-in)."""
    if not target:
        return default
    # Browsers read "\\" as "/" and drop tabs and newlines, so "/\\evil.example" or
    # "/\t/evil.example" would leave the site: refuse both, and any other control character.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//"):
        return default
    return target


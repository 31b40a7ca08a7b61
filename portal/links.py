"""Signed, expiring links that open a debtor's own account (or unsubscribe them) in one tap.

A token is signed with `SECRET_KEY` (itsdangerous) and names an AccessLink row, the debtor
and the purpose. The row lets the portal count identity-check failures and lock the link;
the signature and age make tampered or expired links useless. Purposes: `account` (opens the
portal, expires after LINK_MAX_AGE_DAYS) and `unsubscribe` (one-click opt-out from a message,
valid for UNSUBSCRIBE_MAX_AGE_DAYS).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert

from portal.extensions import db
from portal.models import AccessLink, Debtor, utcnow

SALT = "saldo.debtor-link.v1"
PURPOSES = ("account", "unsubscribe")
PREFIXES = {"account": "l", "unsubscribe": "u"}


class LinkError(Exception):
    """The link cannot be used. `expired` tells a stale link from a forged or unknown one."""

    def __init__(self, reason: str, debtor_id: int | None = None):
        super().__init__(reason)
        self.reason = reason  # expired | invalid | locked
        self.debtor_id = debtor_id

    @property
    def expired(self) -> bool:
        return self.reason == "expired"


@dataclass(frozen=True)
class OpenedLink:
    link: AccessLink
    debtor: Debtor
    purpose: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age_seconds(purpose: str) -> int:
    if purpose == "unsubscribe":
        return int(current_app.config.get("UNSUBSCRIBE_MAX_AGE_DAYS", 90)) * 86400
    return int(current_app.config["LINK_MAX_AGE_DAYS"]) * 86400


def mint(requests: list[tuple[int, str, int | None]]) -> list[str]:
    """Absolute links for many (debtor id, purpose, message id) at once: one bulk insert of
    AccessLink rows, one signed token each (the caller commits). The one place links are made.
    """
    rows, urls = [], []
    serializer = _serializer()
    base = current_app.config["BASE_URL"].rstrip("/")
    now = utcnow()
    for debtor_id, purpose, message_id in requests:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        link_id = secrets.token_hex(16)
        rows.append({"id": link_id, "debtor_id": debtor_id, "purpose": purpose,
                     "message_id": message_id, "failures": 0, "created_at": now})
        token = serializer.dumps({"l": link_id, "d": debtor_id, "p": purpose})
        urls.append(f"{base}/{PREFIXES[purpose]}/{token}")
    if rows:
        db.session.execute(insert(AccessLink), rows)
    return urls


def issue_token(debtor: Debtor, purpose: str = "account", message_id: int | None = None) -> str:
    """One link's signed token (the last part of its URL); the caller commits."""
    return mint([(debtor.id, purpose, message_id)])[0].rsplit("/", 1)[1]


def account_url(debtor: Debtor, message_id: int | None = None) -> str:
    """Absolute link to the debtor's account (the caller commits)."""
    return mint([(debtor.id, "account", message_id)])[0]


def unsubscribe_url(debtor: Debtor, message_id: int | None = None) -> str:
    """Absolute one-click unsubscribe link (no sign-in needed)."""
    return mint([(debtor.id, "unsubscribe", message_id)])[0]


def open_token(token: str, purpose: str) -> OpenedLink:
    """Check signature, age, purpose and lock; return the link and its debtor or raise."""
    serializer = _serializer()
    try:
        data = serializer.loads(token, max_age=max_age_seconds(purpose))
    except SignatureExpired as exc:
        try:
            payload = serializer.load_payload(exc.payload) if exc.payload else {}
        except BadSignature:
            payload = {}
        debtor_id = payload.get("d") if isinstance(payload, dict) else None
        raise LinkError("expired", debtor_id) from exc
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or data.get("p") != purpose:
        raise LinkError("invalid")
    link = db.session.get(AccessLink, str(data.get("l")))
    if link is None or link.debtor_id != data.get("d") or link.purpose != purpose:
        raise LinkError("invalid")
    if link.locked_at is not None:
        raise LinkError("locked", link.debtor_id)
    return OpenedLink(link=link, debtor=db.session.get(Debtor, link.debtor_id), purpose=purpose)

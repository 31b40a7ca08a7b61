"""The identity check: one fact the creditor holds, stored hashed, compared in constant time.

Kinds: `document_last4` (last four digits of the document number), `postal_code` and
`birth_date` (ISO date). The configured kind (`IDENTITY_CHECK`) is the default; a debtor may
carry their own `identity_kind`. Answers are normalised before hashing so "1234", " 1234 "
and "12-34" match, and a date typed as 1990-01-31 or 31/01/1990 matches the same fact.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import func, update

from portal.extensions import db
from portal.models import AccessLink, Debtor

KINDS = ("document_last4", "postal_code", "birth_date")
MAX_FAILURES = 5
SCHEME = "hmac-sha256"


def normalise(kind: str, answer: str) -> str | None:
    """The canonical form of an answer, or None when it cannot be one."""
    answer = (answer or "").strip()
    if kind == "document_last4":
        digits = re.sub(r"\D", "", answer)
        return digits[-4:] if len(digits) >= 4 else None
    if kind == "postal_code":
        text = re.sub(r"[\s-]", "", answer).upper()
        return text or None
    if kind == "birth_date":
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                return datetime.strptime(answer, fmt).replace(tzinfo=UTC).date().isoformat()
            except ValueError:
                continue
        return None
    raise ValueError(f"unknown identity kind {kind!r}")


def _pepper() -> bytes:
    config = current_app.config
    return (config.get("IDENTITY_PEPPER") or config["SECRET_KEY"]).encode()


def hash_fact(kind: str, value: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hmac.new(_pepper(), f"{salt}:{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{SCHEME}${salt}${digest}"


def kind_for(debtor: Debtor) -> str:
    return debtor.identity_kind or current_app.config["IDENTITY_CHECK"]


def set_identity(debtor: Debtor, answer: str | date, kind: str | None = None) -> None:
    """Store the debtor's identity fact (hashed with a per-value salt)."""
    kind = kind or current_app.config["IDENTITY_CHECK"]
    value = answer.isoformat() if isinstance(answer, date) else normalise(kind, answer)
    if value is None:
        raise ValueError(f"not a valid {kind} value")
    debtor.identity_kind = kind
    debtor.identity_hash = hash_fact(kind, value)


def has_identity(debtor: Debtor) -> bool:
    return bool(debtor.identity_hash)


def check_identity(debtor: Debtor, answer: str) -> bool:
    """True when `answer` matches the fact on file (constant-time hash comparison)."""
    kind = kind_for(debtor)
    value = normalise(kind, answer) or ""
    scheme, _, rest = (debtor.identity_hash or f"{SCHEME}$none$").partition("$")
    salt, _, _digest = rest.partition("$")
    expected = debtor.identity_hash or ""
    matched = hmac.compare_digest(hash_fact(kind, value, salt).encode(), expected.encode())
    return matched and scheme == SCHEME


def register_failure(link: AccessLink) -> bool:
    """Count a wrong answer on `link`; lock it at MAX_FAILURES. Returns True when now locked."""
    # Counted in the database, not from the copy this request read: wrong answers sent in
    # parallel (several workers, no shared rate-limit store) cannot each see "4 so far".
    table = AccessLink.__table__
    db.session.execute(update(table).where(table.c.id == link.id)
                       .values(failures=func.coalesce(table.c.failures, 0) + 1))
    db.session.execute(update(table).where(
        table.c.id == link.id, table.c.failures >= MAX_FAILURES, table.c.locked_at.is_(None)
    ).values(locked_at=datetime.now(UTC)))
    db.session.refresh(link, ["failures", "locked_at"])
    return link.locked_at is not None

"""API keys: created once (the whole key is shown to its creator only), stored as a SHA-256
hash, found by that hash, revoked by staff. The caller commits.

A key is `sk_<8 visible chars>_<43 random chars>`: 256 bits of randomness, so a plain
SHA-256 is enough to store it (nothing to brute-force, unlike a password). The visible part
is the prefix staff see in lists and the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from portal.audit import record
from portal.extensions import db
from portal.models import ApiKey, utcnow
from portal.models.integration import API_SCOPES

KEY_PREFIX = "sk_"
# `last_used_at` is written at most this often per key, so busy keys do not write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """The key cannot be created as asked; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    scopes = sorted({s.strip() for s in items if s.strip()})
    unknown = [s for s in scopes if s not in API_SCOPES]
    if unknown or not scopes:
        raise ApiKeyError(f"scopes must be among {', '.join(API_SCOPES)}; got {text!r}")
    return scopes


def create_key(name: str, scopes: str | list[str], *, staff_id: int | None = None,
               actor_type: str = "staff") -> tuple[ApiKey, str]:
    """Create a key; return the row and the whole key (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ApiKeyError("name is required (at most 100 characters)")
    scope_list = parse_scopes(scopes)
    visible = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{visible}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=name, prefix=f"{KEY_PREFIX}{visible}", key_hash=hash_key(key),
                 scopes=",".join(scope_list), created_by_id=staff_id)
    db.session.add(row)
    db.session.flush()
    record(actor_type, staff_id, "api_key.created", row,
           after={"name": name, "prefix": row.prefix, "scopes": scope_list})
    return row, key


def revoke_key(row: ApiKey, *, staff_id: int | None = None, actor_type: str = "staff") -> bool:
    """Revoke a key (conditional update: revoking twice changes nothing)."""
    changed = db.session.execute(
        update(ApiKey).where(ApiKey.id == row.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if changed:
        record(actor_type, staff_id, "api_key.revoked", row, after={"prefix": row.prefix})
    return bool(changed)


def authenticate(key: str) -> ApiKey | None:
    """The active key `key` is, or None. Compares hashes in constant time."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at:
        return None
    return row


def touch(row: ApiKey) -> None:
    """Record that the key was used (at most once a minute, in its own small commit)."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_RESOLUTION:
        return
    db.session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    row.last_used_at = now


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(),
                                                           ApiKey.id.desc())))

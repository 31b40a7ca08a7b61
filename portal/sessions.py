"""Sign-in sessions that can be ended, and remember-me tokens that rotate.

Every sign-in (debtor or staff) is a `UserSession` row; the signed session cookie carries a
random token whose SHA-256 is the row's id, and Flask-Login's user loader accepts the cookie
only while that row is open and unexpired (`portal.auth.load_user`). So signing out, "sign
out everywhere" and a password reset end sessions for real: a copied cookie stops working.

A debtor's "remember this device" is a `RememberToken`: a cookie `selector.secret`, stored as
the selector and the SHA-256 of the secret, expiring after REMEMBER_COOKIE_DAYS. Using it
deletes the row (one conditional DELETE, so two requests cannot both use it), opens a new
session and sets a new token with the same expiry: a token works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, select, update

from portal.extensions import db
from portal.models import RememberToken, UserSession

SID_KEY = "_sid"
REMEMBER_COOKIE = "saldo_remember"
LEGACY_REMEMBER_COOKIE = "remember_token"  # Flask-Login's `d:<id>|hmac`, no longer issued
DEBTOR_SESSION_HOURS = 24
STAFF_SESSION_HOURS = 12


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _kind_and_id(user) -> tuple[str, int]:
    kind, _, raw = user.get_id().partition(":")
    return kind, int(raw)


def _lifetime(kind: str) -> timedelta:
    config = current_app.config
    if kind == "s":
        return timedelta(hours=int(config.get("STAFF_SESSION_HOURS", STAFF_SESSION_HOURS)))
    return timedelta(hours=int(config.get("DEBTOR_SESSION_HOURS", DEBTOR_SESSION_HOURS)))


def open_session(user, now: datetime | None = None) -> str:
    """Store a new session row for `user` (the caller commits); return the cookie token."""
    now = now or datetime.now(UTC)
    kind, user_id = _kind_and_id(user)
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_digest(token), user_kind=kind, user_id=user_id,
                               created_at=now, expires_at=now + _lifetime(kind)))
    return token


def start(user, *, remember: bool = False) -> None:
    """Sign `user` in on this browser: a fresh cookie session bound to a new session row.

    Whatever the session held before is dropped (no fixation); commits."""
    end_current("replaced")
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old secret
    token = open_session(user)
    if remember:
        _issue_remember(user)
    db.session.commit()
    login_user(user, remember=False)
    session[SID_KEY] = token


def _row_is_open(row: UserSession | None, kind: str, user_id: int, now: datetime) -> bool:
    return (row is not None and row.ended_at is None and row.expires_at > now
            and row.user_kind == kind and row.user_id == user_id)


def is_open(token: str | None, kind: str, user_id: int, now: datetime | None = None) -> bool:
    """Whether the session `token` is open, unexpired and belongs to this user."""
    if not token:
        return False
    row = db.session.get(UserSession, _digest(token))
    return _row_is_open(row, kind, user_id, now or datetime.now(UTC))


@cache
def _session_user_statement(model):
    """Built once per user model: every signed-in request runs it, and building a statement
    costs more CPU than running this one."""
    return (select(UserSession, model).outerjoin(model, model.id == UserSession.user_id)
            .where(UserSession.id == bindparam("sid")))


def session_user(token: str | None, kind: str, user_id: int, model,
                 now: datetime | None = None) -> tuple[bool, object | None]:
    """(whether the session `token` is open, unexpired and this user's; the `model` row with
    `user_id`, or None) in one query: every signed-in request asks this first."""
    if not token:
        return False, None
    found = db.session.execute(_session_user_statement(model), {"sid": _digest(token)}).first()
    if found is None:
        return False, None
    row, user = found
    if not _row_is_open(row, kind, user_id, now or datetime.now(UTC)):
        return False, None
    return True, user


def _current_token() -> str | None:
    return session.get(SID_KEY)


def end_current(reason: str = "signed_out") -> None:
    """End this browser's session row and remember token (the caller commits)."""
    token = _current_token()
    if token:
        db.session.execute(update(UserSession)
                           .where(UserSession.id == _digest(token),
                                  UserSession.ended_at.is_(None))
                           .values(ended_at=datetime.now(UTC), ended_reason=reason)
                           .execution_options(synchronize_session=False))
    selector = _remember_parts()[0]
    if selector:
        db.session.execute(delete(RememberToken).where(RememberToken.id == selector)
                           .execution_options(synchronize_session=False))
        g.saldo_remember_clear = True


def end_all(user, reason: str = "signed_out_everywhere", *, keep_current: bool = False) -> int:
    """End every session and remember token of `user` (the caller commits), except this
    browser's session with `keep_current`; returns how many sessions were ended."""
    kind, user_id = _kind_and_id(user)
    mine = UserSession.user_kind == kind
    current = _current_token() if keep_current and has_request_context() else None
    if current:
        mine = mine & (UserSession.id != _digest(current))
    ended = db.session.execute(
        update(UserSession)
        .where(mine, UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC), ended_reason=reason)
        .execution_options(synchronize_session=False)).rowcount or 0
    db.session.execute(delete(RememberToken).where(RememberToken.user_kind == kind,
                                                   RememberToken.user_id == user_id)
                       .execution_options(synchronize_session=False))
    return ended


def sign_out(*, everywhere: bool = False) -> None:
    """End this sign-in (or all of the user's) and forget the user on this browser."""
    from flask_login import current_user

    if everywhere and current_user.is_authenticated:
        end_all(current_user._get_current_object())
    end_current()
    db.session.commit()
    logout_user()
    session.pop(SID_KEY, None)
    g.saldo_remember_clear = True


def _issue_remember(user, expires_at: datetime | None = None) -> None:
    kind, user_id = _kind_and_id(user)
    days = int(current_app.config.get("REMEMBER_COOKIE_DAYS", 30))
    expires_at = expires_at or datetime.now(UTC) + timedelta(days=days)
    selector, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    db.session.add(RememberToken(id=selector, token_hash=_digest(secret), user_kind=kind,
                                 user_id=user_id, expires_at=expires_at))
    g.saldo_remember_set = (f"{selector}.{secret}", expires_at)


def _remember_parts() -> tuple[str | None, str | None]:
    raw = request.cookies.get(REMEMBER_COOKIE, "")
    selector, _, secret = raw.partition(".")
    if len(selector) != 32 or not secret:
        return None, None
    return selector, secret


def use_remember_token(now: datetime | None = None):
    """Sign in from this browser's remember cookie, if it holds a live token: the token is
    consumed and replaced. Returns the user, or None."""
    from portal.auth import user_for

    selector, secret = _remember_parts()
    if selector is None:
        return None
    now = now or datetime.now(UTC)
    row = db.session.get(RememberToken, selector)
    if row is None or not hmac.compare_digest(row.token_hash, _digest(secret)) \
            or row.expires_at <= now:
        g.saldo_remember_clear = True
        return None
    # Consume it: only the request whose DELETE removed the row goes on.
    taken = db.session.execute(delete(RememberToken).where(
        RememberToken.id == selector, RememberToken.token_hash == row.token_hash)
        .execution_options(synchronize_session=False)).rowcount
    user = user_for(row.user_kind, row.user_id) if taken == 1 else None
    if user is None:
        db.session.commit()
        g.saldo_remember_clear = True
        return None
    expires_at = row.expires_at
    db.session.expunge(row)
    session.clear()
    token = open_session(user, now)
    _issue_remember(user, expires_at)
    db.session.commit()
    login_user(user, remember=False, fresh=False)
    session[SID_KEY] = token
    return user


def init_sessions(app: Flask) -> None:
    """Sign remembered browsers in before the view runs; set or clear the cookie after."""

    @app.before_request
    def _remembered():
        if request.endpoint == "static" or session.get(SID_KEY):
            return
        if REMEMBER_COOKIE in request.cookies:
            use_remember_token()

    @app.after_request
    def _remember_cookie(response):
        config = current_app.config
        issued = g.pop("saldo_remember_set", None)
        if issued is not None:
            value, expires_at = issued
            response.set_cookie(REMEMBER_COOKIE, value, expires=expires_at, httponly=True,
                                samesite="Lax", secure=bool(config.get("SESSION_COOKIE_SECURE")))
        elif g.pop("saldo_remember_clear", False) and REMEMBER_COOKIE in request.cookies:
            response.delete_cookie(REMEMBER_COOKIE, httponly=True, samesite="Lax")
        if LEGACY_REMEMBER_COOKIE in request.cookies:
            response.delete_cookie(LEGACY_REMEMBER_COOKIE)
        return response


def sessions_of(user) -> list[UserSession]:
    kind, user_id = _kind_and_id(user)
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_kind == kind, UserSession.user_id == user_id)))

"""Who is signed in. One Flask-Login manager serves two kinds of user, told apart by the id:
`d:<id>` is a debtor (signed in through a link and an identity check), `s:<id>` a staff user.
A cookie names a user only while its server-side session is open (`portal.sessions`).

Views use `debtor_required` (debtor pages) and, in the staff blueprint, its own role check.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_login import current_user, user_logged_in, user_logged_out

from portal import sessions
from portal.extensions import db, login_manager
from portal.models import Debtor, StaffUser

USER_MODELS = {"d": Debtor, "s": StaffUser}


def _usable(user):
    """A staff user who was deactivated can no longer sign in; debtors always can."""
    return None if isinstance(user, StaffUser) and not user.is_active else user


def user_for(kind: str, user_id: int):
    """The debtor or (active) staff user behind an id, or None."""
    model = USER_MODELS.get(kind)
    return _usable(db.session.get(model, user_id)) if model is not None else None


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, raw = (user_id or "").partition(":")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    model = USER_MODELS.get(kind)
    is_open, user = (sessions.session_user(session.get(sessions.SID_KEY), kind, int(raw), model)
                     if model is not None else (False, None))
    if not is_open:
        # An ended, expired or forged session: forget it, so a remember cookie can apply.
        session.pop("_user_id", None)
        session.pop(sessions.SID_KEY, None)
        return None
    return _usable(user)


_UNSET = object()


def current_debtor() -> Debtor | None:
    """The signed-in debtor, looked up once per request (pages ask for it dozens of times:
    every money and date filter needs the debtor's locale). Signing in or out clears it."""
    if not has_request_context():
        return None
    cached = g.get("saldo_debtor", _UNSET)
    if cached is _UNSET:
        user = current_user._get_current_object() if current_user else None
        cached = g.saldo_debtor = user if isinstance(user, Debtor) else None
    return cached


@user_logged_in.connect
@user_logged_out.connect
def _forget_cached_debtor(sender, **extra) -> None:
    if has_request_context():
        g.pop("saldo_debtor", None)
        g.pop("saldo_display_locale", None)  # worked out from the debtor's locale


def current_staff() -> StaffUser | None:
    user = current_user._get_current_object() if current_user else None
    return user if isinstance(user, StaffUser) else None


def login_debtor(debtor: Debtor, remember: bool = True) -> None:
    """A new server-side session (and, with `remember`, a remember-me token); commits."""
    sessions.start(debtor, remember=remember)


def debtor_required(view):
    """The view needs a signed-in debtor; others are sent to the "get my link" page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_debtor() is None:
            if "debtor.request_link" in current_app.view_functions:
                return redirect(url_for("debtor.request_link", next=request.path))
            abort(401)
        return view(*args, **kwargs)

    return wrapper

"""Who is signed in. One Flask-Login manager serves two kinds of user, told apart by the id:
`d:<id>` is a debtor (signed in through a link and an identity check), `s:<id>` a staff user.

Views use `debtor_required` (debtor pages) and, in the staff blueprint, its own role check.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user, login_user

from portal.extensions import db, login_manager
from portal.models import Debtor, StaffUser


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, raw = (user_id or "").partition(":")
    if not raw.isdigit():
        return None
    if kind == "d":
        return db.session.get(Debtor, int(raw))
    if kind == "s":
        staff = db.session.get(StaffUser, int(raw))
        return staff if staff is not None and staff.is_active else None
    return None


def current_debtor() -> Debtor | None:
    user = current_user._get_current_object() if current_user else None
    return user if isinstance(user, Debtor) else None


def current_staff() -> StaffUser | None:
    user = current_user._get_current_object() if current_user else None
    return user if isinstance(user, StaffUser) else None


def login_debtor(debtor: Debtor, remember: bool = True) -> None:
    days = int(current_app.config["REMEMBER_COOKIE_DAYS"])
    login_user(debtor, remember=remember, duration=timedelta(days=days))


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

"""Who may do what in the console, the idle timeout, and the console's own page setup.

Roles: admin (everything and users, refunds), analyst (policy, templates, reports, payment
issues), agent (debtor timeline, disputes, promises, payment issues, the inbox). Refunds move money
back to a card, so they are for admins only. `role_required(...)` guards a view; admins
pass every check.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import wraps

from babel import Locale
from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_babel import refresh

from portal.auth import current_staff
from portal.staff import bp

ROLES = ("admin", "analyst", "agent")
ROLE_LABELS = {"admin": _l("Administrator"), "analyst": _l("Analyst"), "agent": _l("Agent")}
IDLE_KEY = "staff_seen_at"
START_KEY = "staff_signed_in_at"
STAMP_KEY = "staff_credential_stamp"
DEFAULT_IDLE_MINUTES = 30
DEFAULT_MAX_HOURS = 12

# Sections of the console and the roles that reach them (admin reaches all).
SECTIONS = {
    "dashboard": ("analyst",),
    "policy": ("analyst",),
    "templates": ("analyst",),
    "audit": ("analyst",),
    "imports": ("analyst",),
    "debtors": ("agent",),
    "disputes": ("agent",),
    "inbox": ("agent",),
    "mail": ("analyst", "agent"),
    "payments": ("analyst", "agent"),
    "refunds": (),
    "users": (),
    "integrations": (),  # API keys and webhook endpoints: administrators only
}


def can(staff, section: str) -> bool:
    """Whether `staff` may open `section` of the console."""
    if staff is None:
        return False
    return staff.role == "admin" or staff.role in SECTIONS[section]


def home_endpoint(staff) -> str:
    if can(staff, "dashboard"):
        return "staff.dashboard"
    return "staff.debtors"


def role_required(section: str):
    """Guard a view: sign-in page for strangers, 403 for staff without the role."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("staff.login", next=request.full_path))
            if not can(staff, section):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def password_stamp(staff) -> str:
    """A short fingerprint of the password hash, kept in the session at sign-in, so a
    password reset ends every session opened with the old password."""
    return hashlib.sha256((staff.password_hash or "").encode()).hexdigest()[:16]


def _idle_limit() -> int:
    return int(current_app.config.get("STAFF_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)) * 60


def _session_limit() -> int:
    return int(current_app.config.get("STAFF_SESSION_HOURS", DEFAULT_MAX_HOURS)) * 3600


def session_expired(now: float) -> bool:
    """Idle for too long, or signed in for longer than a working day."""
    seen, start = session.get(IDLE_KEY), session.get(START_KEY)
    if seen is not None and now - float(seen) > _idle_limit():
        return True
    return start is not None and now - float(start) > _session_limit()


@bp.before_request
def _staff_request_setup():
    """English for the console, and sign staff out after a period of inactivity."""
    # The console is in English whatever the browser asks for: pin Flask-Babel's locale
    # for this request (refresh() creates its per-request namespace on g).
    refresh()
    g._flask_babel.babel_locale = Locale.parse("en")
    if current_staff() is None:
        return None
    now = datetime.now(UTC).timestamp()
    stamp = session.get(STAMP_KEY)
    if stamp is not None and stamp != password_stamp(current_staff()):
        _end_session()
        flash(_l("Your password was changed. Please sign in again."), "warning")
        return redirect(url_for("staff.login"))
    if session_expired(now):
        _end_session()
        flash(_l("Your session expired after a period of inactivity. Please sign in again."),
              "warning")
        return redirect(url_for("staff.login", next=request.full_path))
    session[IDLE_KEY] = now
    session.setdefault(START_KEY, now)
    return None


def _end_session() -> None:
    from portal import sessions

    sessions.sign_out()
    for key in (IDLE_KEY, START_KEY, STAMP_KEY):
        session.pop(key, None)


@bp.app_context_processor
def _staff_helpers():
    from portal.staff.payments import open_issue_count

    return {"staff_can": lambda section: can(current_staff(), section),
            "current_staff": current_staff, "role_labels": ROLE_LABELS,
            "payment_issue_count": open_issue_count}


@bp.errorhandler(403)
def _forbidden(_error):
    return render_template("staff/error.html", title=_l("Not allowed"),
                           message=_l("Your role does not give access to this page.")), 403


@bp.errorhandler(404)
def _not_found(_error):
    return render_template("staff/error.html", title=_l("Not found"),
                           message=_l("There is nothing here.")), 404


@bp.errorhandler(429)
def _too_many(_error):
    return render_template("staff/error.html", title=_l("Too many attempts"),
                           message=_l("Please wait a minute and try again.")), 429


@bp.errorhandler(400)
def _bad_request(_error):
    return render_template("staff/error.html", title=_l("Bad request"),
                           message=_l("Something in the request could not be read. Go back "
                                      "and try again.")), 400

"""Sign-in (password, then TOTP when enrolled), sign-out, and the two-factor enrolment page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from portal import sessions
from portal.auth import current_staff
from portal.extensions import db, limiter
from portal.models import StaffUser
from portal.security import safe_next
from portal.staff import accounts, bp
from portal.staff.access import IDLE_KEY, STAMP_KEY, home_endpoint, password_stamp

PENDING_KEY = "staff_pending_totp"
ENROL_KEY = "staff_totp_secret"


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next")
    return safe_next(target, default, prefix="/staff")


def _finish(staff: StaffUser):
    accounts.complete_sign_in(staff)
    db.session.commit()
    sessions.start(staff)  # a fresh session (and CSRF token) bound to a server-side row
    session[STAMP_KEY] = password_stamp(staff)
    return redirect(_safe_next(url_for(home_endpoint(staff))))


@bp.route("/")
def index():
    staff = current_staff()
    if staff is None:
        return redirect(url_for("staff.login"))
    return redirect(url_for(home_endpoint(staff)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        result = accounts.authenticate(request.form.get("email", ""),
                                       request.form.get("password", ""))
        db.session.commit()
        if result.staff is not None and result.needs_totp:
            session[PENDING_KEY] = result.staff.id
            return redirect(url_for("staff.login_totp", next=_safe_next("")))
        if result.staff is not None:
            return _finish(result.staff)
        # One answer for unknown emails, wrong passwords and locked accounts alike.
        error = {
            "inactive": _("This account is deactivated. Ask an administrator."),
        }.get(result.error, _("Wrong email or password. After %(count)d failed attempts an "
                              "account is locked for %(minutes)d minutes.",
                              count=accounts.MAX_FAILURES, minutes=accounts.LOCK_MINUTES))
    status = 401 if error else 200
    return render_template("staff/login.html", error=error,
                           email=request.form.get("email", ""), next=_safe_next("")), status


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login_totp():
    staff_id = session.get(PENDING_KEY)
    staff = db.session.get(StaffUser, staff_id) if staff_id else None
    if staff is None or not staff.is_active:
        return redirect(url_for("staff.login"))
    error = None
    if request.method == "POST":
        if accounts.use_totp_code(staff, request.form.get("code", "")):
            return _finish(staff)
        db.session.commit()
        if accounts.is_locked(staff):
            session.pop(PENDING_KEY, None)
            error = _("Too many failed attempts: this account is locked for %(minutes)d "
                      "minutes.", minutes=accounts.LOCK_MINUTES)
            return render_template("staff/login.html", error=error, email=staff.email,
                                   next=_safe_next("")), 401
        error = _("That code is not valid. Enter the 6 digits your app shows now.")
    return render_template("staff/login_totp.html", error=error, next=_safe_next("")), (
        401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    return _logout(everywhere=False)


@bp.route("/logout/everywhere", methods=["POST"])
def logout_everywhere():
    return _logout(everywhere=True)


def _logout(everywhere: bool):
    """End this session, or every session of the staff user (other browsers included)."""
    staff = current_staff()
    if staff is not None:
        from portal.audit import record

        record("staff", staff.id, "staff.logout_everywhere" if everywhere else "staff.logout",
               staff)
    sessions.sign_out(everywhere=everywhere and staff is not None)
    session.pop(IDLE_KEY, None)
    flash(_("You are signed out on every device.") if everywhere and staff is not None
          else _("You are signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor():
    staff = current_staff()
    if staff is None:
        return redirect(url_for("staff.login", next=request.path))
    error = None
    if request.method == "POST" and staff.totp_secret:
        # Turning it off (or replacing it) needs a current code: a stolen session alone must
        # not be enough to remove the second factor.
        if request.form.get("action") == "disable" and accounts.use_totp_code(
                staff, request.form.get("code", "")):
            accounts.disable_totp(staff, staff.id)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("staff.two_factor"))
        db.session.commit()  # the failed attempt counts towards the lockout
        return render_template("staff/two_factor.html", enabled=True, secret="", uri="",
                               error=_("That code is not valid. Enter the 6 digits your app "
                                       "shows now.")), 400
    secret = session.get(ENROL_KEY) or accounts.new_totp_secret()
    session[ENROL_KEY] = secret
    if request.method == "POST":
        try:
            accounts.enable_totp(staff, secret, request.form.get("code", ""))
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            db.session.commit()
            session.pop(ENROL_KEY, None)
            flash(_("Two-factor sign-in is on."), "success")
            return redirect(url_for("staff.two_factor"))
    return render_template("staff/two_factor.html", enabled=bool(staff.totp_secret),
                           secret=secret, uri=accounts.totp_uri(secret, staff.email),
                           error=error), 400 if error else 200

"""User management for administrators: list, create, change role, (de)activate, reset."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth import current_staff
from portal.extensions import db
from portal.models import StaffUser
from portal.staff import accounts, bp
from portal.staff.access import ROLES, STAMP_KEY, password_stamp, role_required


@bp.route("/users", methods=["GET", "POST"])
@role_required("users")
def users():
    error = None
    form = request.form
    if request.method == "POST":
        try:
            staff = accounts.create_staff(form.get("email", ""), form.get("role", ""),
                                          form.get("password", ""), name=form.get("name"),
                                          actor_id=current_staff().id)
        except accounts.AccountError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Created %(email)s.", email=staff.email), "success")
            return redirect(url_for("staff.users"))
    rows = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/users.html", users=rows, roles=ROLES, error=error,
                           form=form), 400 if error else 200


@bp.route("/users/<int:staff_id>", methods=["POST"])
@role_required("users")
def user_update(staff_id: int):
    staff = db.session.get(StaffUser, staff_id) or abort(404)
    actor = current_staff()
    action = request.form.get("action")
    try:
        if action == "role":
            accounts.update_staff(staff, actor, role=request.form.get("role"))
        elif action in ("activate", "deactivate"):
            if staff.id == actor.id and action == "deactivate":
                raise accounts.AccountError(_("You cannot deactivate yourself."))
            accounts.update_staff(staff, actor, is_active=action == "activate")
        elif action == "password":
            accounts.reset_password(staff, actor, request.form.get("password", ""))
            if staff.id == actor.id:  # other sessions end; this one stays signed in
                session[STAMP_KEY] = password_stamp(staff)
        elif action == "totp_off":
            accounts.disable_totp(staff, actor.id)
        else:
            abort(400)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Saved changes to %(email)s.", email=staff.email), "success")
    return redirect(url_for("staff.users"))

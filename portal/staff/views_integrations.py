"""The console's integration pages (administrators): API keys, shown once at creation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.api.keys import ApiKeyError, create_key, list_keys, revoke_key
from portal.auth import current_staff
from portal.extensions import db
from portal.models import ApiKey
from portal.models.integration import API_SCOPES
from portal.staff import bp
from portal.staff.access import role_required


@bp.route("/api-keys", methods=["GET", "POST"])
@role_required("integrations")
def api_keys():
    error, new_key = None, None
    if request.method == "POST":
        try:
            row, new_key = create_key(request.form.get("name", ""),
                                      request.form.getlist("scopes"),
                                      staff_id=current_staff().id)
        except ApiKeyError:
            db.session.rollback()
            error = _("Give the key a name and at least one scope.")
        else:
            db.session.commit()
            flash(_("Created API key %(prefix)s. Copy it now: it is not shown again.",
                    prefix=row.prefix), "success")
    return render_template("staff/api_keys.html", keys=list_keys(), scopes=API_SCOPES,
                           new_key=new_key, error=error), 400 if error else 200


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@role_required("integrations")
def api_key_revoke(key_id: int):
    row = db.session.get(ApiKey, key_id) or abort(404)
    if revoke_key(row, staff_id=current_staff().id):
        db.session.commit()
        flash(_("Revoked API key %(prefix)s.", prefix=row.prefix), "success")
    return redirect(url_for("staff.api_keys"))

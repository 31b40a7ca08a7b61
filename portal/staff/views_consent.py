"""Agents see and edit a debtor's consent dates per channel (audit-logged)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.auth import current_staff
from portal.debtor.consent import CONSENT_CHANNELS, ConsentError, set_consents
from portal.extensions import db
from portal.models import Debtor
from portal.staff import bp
from portal.staff.access import role_required


@bp.route("/debtors/<int:debtor_id>/consent", methods=["POST"])
@role_required("debtors")
def consent_update(debtor_id: int):
    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    back = redirect(url_for("staff.debtor", debtor_id=debtor.id))
    try:
        consents = {c: date.fromisoformat(v) if (v := request.form.get(f"consent_{c}", "")
                                                  .strip()) else None
                    for c in CONSENT_CHANNELS}
    except ValueError:
        flash(_("Enter consent dates like 2026-03-01, or leave them empty."), "error")
        return back
    try:
        changed = set_consents(debtor, consents, datetime.now(UTC).date(), actor_type="staff",
                               actor_id=current_staff().id)
    except ConsentError:
        db.session.rollback()
        flash(_("A consent date cannot be in the future."), "error")
        return back
    db.session.commit()
    flash(_("Consent dates saved.") if changed else _("Nothing changed."), "success")
    return back

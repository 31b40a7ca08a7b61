"""Alert policy editor: the form, the what-if preview, versions, diff and rollback."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from alerts.preview import HORIZONS
from alerts.settings import (
    BANDS,
    CHANNELS,
    TONES,
    active_policy,
    active_settings,
    as_policy,
    current_policy,
    rollback_to,
    save_settings,
    validate_settings,
)
from portal.auth import current_staff
from portal.extensions import db
from portal.models import AlertPolicy, StaffUser
from portal.staff import bp, whatif
from portal.staff.access import role_required
from portal.staff.policy_form import TONE_KEYS, diff, form_values, parse_form, to_form


def _version_of(policy_row) -> int:
    return policy_row.version if policy_row is not None else 0


def _render(values: dict, errors: dict, problems: list[str], rows=None, status: int = 200,
            preview_error: str | None = None, base_version: int | None = None,
            moves=None, days: int = whatif.DAYS, explorer=None):
    active = active_policy()
    if base_version is None:  # the version the editor started from, kept through previews
        base_version = request.form.get("base_version", type=int)
    return render_template(
        "staff/policy.html", values=values, errors=errors, problems=problems, rows=rows,
        preview_error=preview_error, bands=BANDS, channels=CHANNELS, tones=TONES,
        tone_keys=TONE_KEYS, active=active, days=days, horizons=HORIZONS, moves=moves,
        explorer=explorer,
        base_version=_version_of(active) if base_version is None else base_version,
        preview_available=whatif.available()), status


def _explorer(draft=None, compute: bool = False) -> dict | None:
    """The explorer's chart and helper sentence, when computed (or `compute` now)."""
    from portal.staff import explorer

    result = explorer.compute() if compute else explorer.cached()
    if result is None:
        return None
    share = request.values.get("max_share", type=float) or 30.0
    share = min(max(share, 1.0), 100.0)
    return {"result": result, "max_share": share,
            "chart": explorer.chart(result["points"], current_policy(), draft),
            "helper": explorer.helper(result["points"], share / 100)}


@bp.route("/policy", methods=["GET", "POST"])
@role_required("policy")
def policy():
    current = active_settings()
    if request.method == "GET":
        return _render(to_form(current), {}, [], explorer=_explorer())
    draft, errors = parse_form(request.form, current)
    problems = [] if errors else validate_settings(draft)
    values = form_values(request.form)
    if errors or problems:
        return _render(values, errors, problems, status=400)
    if request.form.get("action") == "save":
        base, now_active = request.form.get("base_version", type=int), active_policy()
        if base is not None and base != _version_of(now_active):
            # Someone saved another version after this form was opened: saving now would
            # silently undo their change.
            return _render(values, {}, [_(
                "Someone else saved version %(v)d of the policy while you were editing. "
                "Review the active settings and the preview, then save again.",
                v=_version_of(now_active))], status=409,
                base_version=_version_of(now_active))
        note = (request.form.get("note") or "").strip()[:255] or None
        if as_policy(draft) == current_policy():
            flash(_("Nothing changed: the active policy already has these settings."), "info")
            return redirect(url_for("staff.policy"))
        policy_row = save_settings(draft, staff_id=current_staff().id, note=note)
        db.session.commit()
        flash(_("Saved as version %(v)d; it is active now.", v=policy_row.version), "success")
        return redirect(url_for("staff.policy_versions"))
    if request.form.get("action") == "explore":
        try:
            explored = _explorer(as_policy(draft), compute=True)
        except ValueError as exc:  # too little settled history to backtest
            return _render(values, {}, [], preview_error=_(
                "The threshold explorer needs more settled invoices: %(why)s", why=str(exc)))
        db.session.rollback()
        return _render(values, {}, [], explorer=explored)
    if not whatif.available():
        return _render(values, {}, [], preview_error=_("The what-if preview is not available: "
                                                       "the alerts planner is not installed."))
    start = datetime.now(UTC).date()
    days = whatif.horizon(request.form.get("days"))
    result = whatif.run_compare(current_policy(), draft, start, days)
    db.session.rollback()  # the preview only reads; drop anything it may have loaded
    return _render(values, {}, [], rows=whatif.comparison_rows(result),
                   moves=whatif.explained_moves(result), days=days,
                   explorer=_explorer(as_policy(draft)))


@bp.route("/policy/versions")
@role_required("policy")
def policy_versions():
    versions = db.session.scalars(select(AlertPolicy).order_by(AlertPolicy.version.desc())).all()
    authors = {s.id: s.email for s in db.session.scalars(select(StaffUser))}
    return render_template("staff/policy_versions.html", versions=versions, authors=authors)


@bp.route("/policy/diff")
@role_required("policy")
def policy_diff():
    a = request.args.get("a", type=int)
    b = request.args.get("b", type=int)
    old, new = (db.session.scalar(select(AlertPolicy).where(AlertPolicy.version == v))
                for v in (a, b))
    if old is None or new is None:
        abort(404)
    return render_template("staff/policy_diff.html", old=old, new=new,
                           changes=diff(old.settings, new.settings))


@bp.route("/policy/rollback/<int:version>", methods=["POST"])
@role_required("policy")
def policy_rollback(version: int):
    try:
        policy_row = rollback_to(version, staff_id=current_staff().id)
    except ValueError:
        abort(404)
    db.session.commit()
    flash(_("Version %(old)d is active again (saved as version %(new)d).", old=version,
            new=policy_row.version), "success")
    return redirect(url_for("staff.policy_versions"))

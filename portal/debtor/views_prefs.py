"""Contact preferences, Web Push endpoints, the web app manifest, the service worker and
the favicon."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from alerts.channels.endpoints import endpoint_problem
from portal.auth import debtor_required
from portal.debtor import bp
from portal.debtor.forms import PreferencesForm
from portal.debtor.preferences import (
    PreferenceError,
    language_of,
    save_preferences,
    subscribe_push,
)
from portal.debtor.preferences import unsubscribe_push as remove_push
from portal.debtor.util import me
from portal.extensions import db, limiter
from portal.models import CHANNELS

PREF_ERRORS = {"preferred_off": "preferred_channel", "quiet_pair": "quiet_start"}


def _pref_error(code: str) -> str:
    if code == "preferred_off":
        return _("Your preferred channel must be one of the channels you allow.")
    return _("Give both a start and an end time, or neither.")


@bp.route("/preferences", methods=["GET", "POST"])
@debtor_required
def preferences():
    debtor = me()
    vapid_key = current_app.config.get("VAPID_PUBLIC_KEY")
    form = PreferencesForm(obj=debtor, push_available=bool(vapid_key))
    if not form.is_submitted():
        form.language.data = language_of(debtor.locale)
        form.preferred_channel.data = debtor.preferred_channel or ""
    if form.validate_on_submit():
        try:
            save_preferences(
                debtor,
                channels={c: (getattr(form, f"allow_{c}").data if f"allow_{c}" in form
                              else getattr(debtor, f"allow_{c}")) for c in CHANNELS},
                preferred=form.preferred_channel.data or None,
                quiet_start=form.quiet_start.data, quiet_end=form.quiet_end.data,
                language=form.language.data, resume=form.resume.data)
        except PreferenceError as exc:
            db.session.rollback()
            getattr(form, PREF_ERRORS[exc.code]).errors.append(_pref_error(exc.code))
        else:
            db.session.commit()
            flash(_("Your preferences are saved."))
            return redirect(url_for("debtor.preferences"))
    status = 400 if form.is_submitted() else 200
    return render_template("debtor/preferences.html", form=form, debtor=debtor,
                           vapid_key=vapid_key), status


def _push_payload() -> dict:
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") or {}
    return {"endpoint": str(data.get("endpoint") or ""), "p256dh": str(keys.get("p256dh") or ""),
            "auth": str(keys.get("auth") or "")}


@bp.post("/push/subscribe")
@debtor_required
@limiter.limit("30 per hour")
def push_subscribe():
    data = _push_payload()
    # Only real push services over HTTPS: the dispatcher will connect to this URL.
    valid = (endpoint_problem(data["endpoint"]) is None
             and 0 < len(data["p256dh"]) <= 200 and 0 < len(data["auth"]) <= 100)
    if not valid:
        return jsonify(error="invalid subscription"), 400
    subscribe_push(me(), **data)
    db.session.commit()
    return jsonify(ok=True), 201


@bp.post("/push/unsubscribe")
@debtor_required
def push_unsubscribe():
    removed = remove_push(me(), _push_payload()["endpoint"])
    db.session.commit()
    return jsonify(ok=removed), 200 if removed else 404


@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.response_class(
        render_template("debtor/manifest.json"), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the Saldo icon (PNG in ICO)."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/sw.js")
def service_worker():
    """Served from the root so the worker may control the whole portal."""
    response = send_from_directory(current_app.static_folder, "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response

"""Friendly error pages for debtors (HTML), or JSON for API clients."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from portal.debtor import bp

HANDLED = (400, 401, 403, 404, 405, 413, 429, 500)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def _json_message(code: int) -> str:
    """The sentence a script shows the debtor (pay.js puts `error` on screen as it is)."""
    if code == 404:
        return _("The page does not exist or is not part of your account.")
    if code == 429:
        return _("For your security we paused this for a while. Please try again later.")
    if code == 413:
        return _("Attachments can be up to 5 MB. Please go back and choose a smaller file.")
    if code in (401, 403):
        return _("Open the link from your latest reminder, or ask for a new one.")
    return _("Please try again in a moment. Nothing you entered was charged or sent.")


def _render(error: HTTPException):
    code = getattr(error, "code", 500) or 500
    if request.path.startswith("/api/"):  # an unrouted API URL: a problem document
        from portal.api.problems import handle

        return handle(error)
    if _wants_json():
        return jsonify(error=_json_message(code), code=code), code
    return render_template("errors/error.html", code=code), code


for _code in HANDLED:
    bp.app_errorhandler(_code)(_render)

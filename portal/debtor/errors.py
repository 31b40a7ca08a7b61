"""Friendly error pages for debtors (HTML), or JSON for API clients."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from portal.debtor import bp

HANDLED = (400, 401, 403, 404, 405, 413, 429, 500)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def _render(error: HTTPException):
    code = getattr(error, "code", 500) or 500
    if _wants_json():
        return jsonify(error=getattr(error, "name", "error")), code
    return render_template("errors/error.html", code=code), code


for _code in HANDLED:
    bp.app_errorhandler(_code)(_render)

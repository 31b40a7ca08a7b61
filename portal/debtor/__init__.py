"""The debtor portal blueprint: signed-link sign-in, account, invoices, promises, disputes,
contact preferences, unsubscribe and browser notifications.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

bp = Blueprint("debtor", __name__)


@bp.app_context_processor
def _portal_context() -> dict:
    from flask_babel import get_locale

    from portal.auth import current_debtor
    from portal.debtor.format import LANGUAGES

    return {
        "payments_enabled": "payments.pay_form" in current_app.view_functions,
        "plans_enabled": "payments.plans" in current_app.view_functions,
        "plan_detail_enabled": "payments.plan_detail" in current_app.view_functions,
        "portal_debtor": current_debtor(),
        "portal_languages": LANGUAGES,
        "page_locale": str(get_locale() or current_app.config["DEFAULT_LOCALE"]),
    }


@bp.before_app_request
def _fresh_locale() -> None:
    """Choose the language per request even when an app context outlives one (tests, CLI)."""
    from flask_babel import refresh

    refresh()


@bp.after_request
def _no_store(response):
    """Debtor pages show personal data: never cache them; never leak a token in Referer."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    if request.path.startswith(("/l/", "/u/")):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


from portal.debtor import (  # noqa: E402,F401  (registers the routes)
    errors,
    format,
    views_access,
    views_account,
    views_actions,
    views_ask,
    views_contact,
    views_prefs,
)

bp.record_once(format.register_filters)

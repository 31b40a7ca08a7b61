"""The REST API under /api/v1: JSON, bearer API keys, OpenAPI 3.1 generated from the code.

flask-smorest (marshmallow + apispec) builds the OpenAPI document from the same schemas that
parse requests and shape responses, and works with our plain `Flask` app factory. Views are
thin: parse, call the operation the portal and staff console call, commit, shape the answer.
"""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response

from portal.api.problems import MEDIA_TYPE, ProblemSchema
from portal.api.problems import register as register_problems

PREFIX = "/api/v1"


class SaldoApi(Api):
    """flask-smorest's Api, with RFC 9457 errors documented and raised by our handlers only.

    Upstream registers a JSON handler for every HTTPException on the whole app; that would
    turn the portal's HTML error pages into JSON, so the API blueprint handles its own.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        return None

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

bp = SmorestBlueprint("api", __name__, url_prefix=PREFIX,
                      description="Saldo's API for billing systems.")
register_problems(bp)

SECURITY = {"bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "An API key: `Authorization: Bearer sk_...`"}}


def api_config(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Saldo API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Debtors, invoices, payments and what debtors did, for the "
                                "billing system. Money is integer minor units plus an ISO "
                                "4217 currency. Errors are RFC 9457 problem documents."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": SECURITY},
        "security": [{"bearerAuth": []}],
    })


def register(app: Flask) -> None:
    """Attach the API (called by create_app through BLUEPRINT_MODULES)."""
    from portal.api import (  # noqa: F401  (the views register themselves on bp)
        reference,
        views_conversations,
        views_debtors,
        views_invoices,
        views_payments,
        views_read,
    )
    from portal.extensions import csrf

    api_config(app)
    api = SaldoApi(app)
    csrf.exempt(bp)  # bearer keys, never cookies: there is nothing to forge
    api.register_blueprint(bp)
    app.register_blueprint(reference.bp)

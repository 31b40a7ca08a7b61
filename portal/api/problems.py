"""Errors as RFC 9457 problem details (`application/problem+json`), with field-level errors.

Every error the API returns has `type`, `title`, `status` and `detail`; validation errors
add `errors`: a list of `{"field": "invoices.3.amount_minor", "message": "..."}`. The
handlers are registered on the API blueprint (and for unrouted /api/ URLs on the app), so
the HTML error pages of the portal are untouched.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import marshmallow as ma
from flask import Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_TYPE_BASE = "urn:saldo:problem:"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("saldo.api")


class FieldError(ma.Schema):
    field = ma.fields.String(required=True, metadata={"description": "Dotted path of the field"})
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldError))


class ApiProblem(HTTPException):
    """Raise to answer with a problem; `code` is the HTTP status."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(description=detail)
        self.code = status
        self.slug = slug
        self.errors = errors
        self.extra_headers = headers or {}


def flatten(messages, prefix: str = "") -> list[dict]:
    """Marshmallow/webargs error messages as a flat list of {field, message}."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "headers", "path", "form", "view_args") and not prefix:
                out.extend(flatten(value, ""))
                continue
            name = "" if key == "_schema" else str(key)
            out.extend(flatten(value, f"{prefix}.{name}".strip(".") if name else prefix))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out.extend({"field": prefix, "message": m} for m in messages)
        else:
            for item in messages:
                out.extend(flatten(item, prefix))
    else:
        out.append({"field": prefix, "message": str(messages)})
    return out


def problem_response(status: int, detail: str, *, slug: str | None = None,
                     errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle(error: Exception) -> Response:
    if isinstance(error, ApiProblem):
        return problem_response(error.code, error.description, slug=error.slug,
                                errors=error.errors, headers=error.extra_headers)
    if not isinstance(error, HTTPException):
        log.exception("unhandled error in the API")
        error = InternalServerError()
    data = getattr(error, "data", None) or {}
    errors = flatten(data["messages"]) if "messages" in data else None
    if error.code == 422 and errors:
        detail = "The request is not valid; see `errors` for each field."
        return problem_response(422, detail, slug="validation-error", errors=errors)
    headers = dict(data.get("headers") or {})
    if error.code == 429:
        headers.update({k: v for k, v in error.get_headers() if k.lower() == "retry-after"})
    detail = data.get("message") or _detail(error)
    return problem_response(error.code or 500, detail, headers=headers)


def _detail(error: HTTPException) -> str:
    if error.code == 404:
        return "No such resource."
    if error.code == 405:
        return "This method is not allowed on this resource."
    if error.code == 429:
        return "Too many requests for this API key; slow down and retry later."
    if error.code == 500:
        return "Something went wrong on our side; nothing was changed. Retry later."
    return error.description or HTTPStatus(error.code).phrase


HANDLED_CODES = (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500)


def register(bp) -> None:
    """Answer every error raised in the API blueprint with a problem document."""
    for code in HANDLED_CODES:
        bp.register_error_handler(code, handle)
    bp.register_error_handler(HTTPException, handle)
    bp.register_error_handler(Exception, handle)


def is_api_request() -> bool:
    return request.path.startswith("/api/")

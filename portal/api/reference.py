"""The API reference as a page: rendered on the server from the OpenAPI document itself, so
it can never disagree with the API, and it needs no script or CDN (`/api/v1/reference`)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def inline_code(text: str | None) -> Markup:
    """Docstrings write `code` in backticks: show it as code (everything else escaped)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text or ""))))  # noqa: S704 - escaped first


def ref_name(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def type_label(schema: dict) -> str:
    """A short human label for a JSON schema: `string`, `integer | null`, `[Invoice]`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return ref_name(schema)
    if "anyOf" in schema:
        return " | ".join(type_label(s) for s in schema["anyOf"])
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    labels = []
    for k in kinds:
        if k == "array":
            labels.append(f"[{type_label(schema.get('items', {}))}]")
        elif k == "string" and schema.get("format"):
            labels.append(schema["format"])
        else:
            labels.append(k)
    if schema.get("enum"):
        labels.append("one of " + ", ".join(str(e) for e in schema["enum"] if e is not None))
    return " | ".join(labels)


def operations(spec: dict) -> list[dict]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            responses = []
            for status, response in op.get("responses", {}).items():
                if "$ref" in response:
                    response = spec["components"]["responses"][ref_name(response)]
                content = response.get("content", {})
                media, schema = next(iter(content.items()), (None, {}))
                responses.append({"status": status, "description": response.get("description"),
                                  "media": media, "schema": (schema or {}).get("schema")})
            out.append({"method": method.upper(), "path": path, "op": op,
                        "anchor": f"{method}-{path}".replace("/", "-").strip("-"),
                        "params": [*item.get("parameters", []), *op.get("parameters", [])],
                        "body": body.get("schema"), "responses": responses})
    return out


@bp.get("/reference")
def reference():
    from flask_smorest import Api  # noqa: F401  (the spec comes from the registered Api)

    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return render_template("api/reference.html", spec=spec, operations=operations(spec),
                           schemas=spec.get("components", {}).get("schemas", {}),
                           type_label=type_label, ref_name=ref_name, md=inline_code)

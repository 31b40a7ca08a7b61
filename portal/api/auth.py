"""Who is calling the API: `Authorization: Bearer <key>`, checked once per request.

No or an unknown/revoked key: 401 with `WWW-Authenticate: Bearer`. A key without the
operation's scope: 403. Requests are rate-limited per key (by the key's hash, so an
unknown key cannot spend a real key's budget) and, more loosely, per client address.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from portal.api.keys import authenticate, touch
from portal.api.problems import ApiProblem
from portal.extensions import limiter

DEFAULT_KEY_LIMIT = "600 per minute"
DEFAULT_ADDRESS_LIMIT = "3000 per minute"


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_key() -> str:
    """The bucket of this request: its key's hash, else the client address."""
    token = bearer_token()
    if token:
        return "api-key:" + hashlib.sha256(token.encode()).hexdigest()[:24]
    return "api-ip:" + (get_remote_address() or "unknown")


def _key_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or DEFAULT_KEY_LIMIT


def _address_limit() -> str:
    return current_app.config.get("API_ADDRESS_RATE_LIMIT") or DEFAULT_ADDRESS_LIMIT


def current_key():
    return g.get("api_key")


def actor() -> tuple[str, int]:
    """(actor type, id) for the audit log: the API key that made the request."""
    return "api", g.api_key.id


def require(scope: str):
    """Decorator: a valid key with `scope`, rate-limited per key and per address."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = bearer_token()
            key = authenticate(token) if token else None
            if key is None:
                raise ApiProblem(401, "Send a valid API key as `Authorization: Bearer <key>`.",
                                 slug="unauthenticated",
                                 headers={"WWW-Authenticate": 'Bearer realm="saldo"'})
            if scope not in key.scope_list:
                raise ApiProblem(403, f"This API key lacks the `{scope}` scope.",
                                 slug="insufficient-scope")
            touch(key)
            g.api_key = key
            return view(*args, **kwargs)

        limited = limiter.limit(_key_limit, key_func=rate_key)(wrapper)
        return limiter.limit(_address_limit, key_func=get_remote_address)(limited)

    return decorator

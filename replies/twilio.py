"""Twilio's webhook signature: base64(HMAC-SHA1(auth token, URL + sorted POST params)).

See Twilio's "Webhooks security": the URL is the full URL Twilio requested (scheme, host,
path and query), followed by every POST parameter name and value, sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(auth_token: str | None, url: str, params: dict[str, str],
                    given: str | None) -> bool:
    """Constant-time check of X-Twilio-Signature; False when no token is configured."""
    if not auth_token or not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), given)

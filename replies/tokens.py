"""Per-debtor reply addresses: `reply+<token>@INBOUND_DOMAIN`, signed so they cannot be forged.

The token is `d<debtor id>-<16 hex HMAC-SHA256 chars>` (lower case only: some mail systems
fold the local part's case). It never expires: a debtor may answer a reminder months later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import getaddresses

from flask import current_app

_TOKEN = re.compile(r"^reply\+d(\d{1,12})-([0-9a-f]{16})$")


def _mac(debtor_id: int) -> str:
    key = (current_app.config.get("REPLY_TOKEN_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"saldo.reply.v1:{debtor_id}".encode(), hashlib.sha256).hexdigest()[:16]


def inbound_domain() -> str:
    return current_app.config.get("INBOUND_DOMAIN") or "reply.saldo.local"


def reply_address(debtor_id: int) -> str:
    """The Reply-To address for every email to this debtor."""
    return f"reply+d{debtor_id}-{_mac(debtor_id)}@{inbound_domain()}"


def debtor_id_from_address(address: str | None) -> int | None:
    """The debtor a reply address belongs to, or None (not a reply address, or forged).

    Accepts a full header value with several addresses (`To: a@x, "S" <reply+…@…>`).
    """
    for _, addr in getaddresses([address or ""]):
        local, _, domain = addr.strip().lower().rpartition("@")
        match = _TOKEN.match(local)
        if not match or domain != inbound_domain().lower():
            continue
        debtor_id = int(match.group(1))
        if hmac.compare_digest(match.group(2), _mac(debtor_id)):
            return debtor_id
    return None


def is_reply_address(address: str | None) -> bool:
    """Whether `address` looks like one of ours (signed or not): the mail sink hands these on."""
    return any(addr.lower().startswith("reply+") and
               addr.lower().endswith("@" + inbound_domain().lower())
               for _, addr in getaddresses([address or ""]))

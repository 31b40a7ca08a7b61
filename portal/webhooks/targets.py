"""Where webhooks may go: http(s) URLs whose every address is public.

Private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 — cloud
metadata lives there), multicast, reserved and unspecified addresses are refused, at
registration and again at each delivery (the connection then goes to the address that was
checked, so a DNS answer cannot change between check and use). Development mode
(`SALDO_WEBHOOKS_ALLOW_PRIVATE`, on by default outside production and ignored in
production) allows them, so the demo can deliver to a receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app


class TargetError(ValueError):
    """The URL may not receive webhooks; the message says why."""


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, or TargetError."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError("the URL must start with https:// (or http://) and name a host")
    if parts.username or parts.password:
        raise TargetError("the URL must not contain a user name or password")
    if len(url) > 500:
        raise TargetError("the URL is longer than 500 characters")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetError("the URL has an invalid port") from exc
    return parts.scheme, parts.hostname, port


def resolve(host: str, port: int, private_ok: bool | None = None) -> str:
    """The address to connect to: the first one of `host`, every one of which is allowed.
    `private_ok` defaults to the app's setting (sender threads pass it: no app context)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetError(f"the host {host!r} does not resolve") from exc
    addresses = [info[4][0] for info in infos]
    if not (allow_private() if private_ok is None else private_ok):
        refused = [a for a in addresses if not _allowed(a)]
        if refused:
            raise TargetError(f"{host} resolves to a private, loopback or link-local address "
                              f"({refused[0]}); webhooks go to public addresses only")
    return addresses[0]


def validate(url: str) -> str:
    """Check a URL as staff register it (resolving its host now)."""
    _, host, port = check_url(url)
    resolve(host, port)
    return url

"""Which Web Push endpoints Saldo will ever connect to.

A browser hands us its push service's URL, and the dispatcher later POSTs to it from inside
our network: without a check that is a server-side request forgery (`https://127.0.0.1:…`,
`https://169.254.169.254/…`). So an endpoint must be HTTPS on port 443 at a known push
service (Google FCM, Mozilla, Apple, Microsoft), checked when a browser subscribes; and at
send time the host must resolve only to public addresses (never private, loopback,
link-local, reserved or multicast ones).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# Exact hosts, and "*.domain" for any host under that domain.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge (Chromium), Android, Opera, Samsung Internet
    "updates.push.services.mozilla.com",  # Firefox
    "push.services.mozilla.com",
    "*.push.apple.com",  # Safari (web.push.apple.com)
    "*.notify.windows.com",  # Windows Notification Service (legacy Edge)
)
MAX_ENDPOINT_LENGTH = 1000


def _host_allowed(host: str, allowed=PUSH_SERVICE_HOSTS) -> bool:
    for pattern in allowed:
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
            return True
        if host == pattern:
            return True
    return False


def endpoint_problem(endpoint: str, allowed=PUSH_SERVICE_HOSTS) -> str | None:
    """Why `endpoint` is not a push service we deliver to (None: it is)."""
    if not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        return "endpoint missing or too long"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "endpoint is not a URL"
    if parts.scheme != "https":
        return "endpoint is not https"
    if parts.username is not None or parts.password is not None:
        return "endpoint carries credentials"
    host = (parts.hostname or "").rstrip(".")
    if not _host_allowed(host, allowed):
        return f"{host or 'no host'} is not a known push service"
    if port not in (None, 443):
        return "endpoint uses a port other than 443"
    return None


def address_problem(address: str) -> str | None:
    """Why we must not connect to this IP address (None: it is a public address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private:
        return f"{ip} is a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is a reserved address"
    return None


def resolved_problem(endpoint: str, resolve=socket.getaddrinfo) -> str | None:
    """Resolve the endpoint's host now; why any of its addresses is refused (None: all are
    public). A resolver failure raises OSError (a transient problem for the caller)."""
    host = urlsplit(endpoint).hostname or ""
    for *_rest, sockaddr in resolve(host, 443, type=socket.SOCK_STREAM):
        problem = address_problem(sockaddr[0])
        if problem:
            return f"{host} resolves to {problem}"
    return None

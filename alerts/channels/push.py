"""Web Push with VAPID (pywebpush): encrypted (aes128gcm) to each of the debtor's browsers.

Endpoints are checked before every request (`endpoints.py`: a known push service over
HTTPS, resolving to public addresses only). A subscription whose push service answers 404
or 410 Gone is reported in the error's
`gone_ids` and deleted by the dispatcher (adapters run in sender threads, away from the
database session). The `Topic` header
derived from the dedupe key lets the push service replace an undelivered copy of the same
message instead of showing it twice.
"""

from __future__ import annotations

import json

from pywebpush import WebPushException, webpush
from requests import RequestException

from alerts.channels.base import ChannelError, Outgoing
from alerts.channels.endpoints import endpoint_problem, resolved_problem


class PushChannel:
    name = "push"

    def __init__(self, config, timeout: float = 10.0):
        self.private_key = config.get("VAPID_PRIVATE_KEY")
        self.subject = config.get("VAPID_SUBJECT") or "mailto:ops@saldo.local"
        self.timeout = timeout
        # Only tests that push to a local recorder turn this off (never read from the env).
        self.check_endpoints = bool(config.get("PUSH_CHECK_ENDPOINTS", True))

    def _check(self, endpoint: str) -> None:
        """Refuse an endpoint that is not a known push service or resolves to a private,
        loopback, link-local or reserved address (no request is made)."""
        if not self.check_endpoints:
            return
        problem = endpoint_problem(endpoint)
        if problem:  # stored before endpoints were checked: forget the subscription
            raise ChannelError(f"push endpoint refused: {problem}", False, gone=True)
        try:
            problem = resolved_problem(endpoint)
        except OSError as exc:
            raise ChannelError(f"push endpoint did not resolve: {exc}", True) from exc
        if problem:
            raise ChannelError(f"push endpoint refused: {problem}", False)

    def _push(self, subscription: tuple, payload: str, topic: str) -> str:
        _, endpoint, p256dh, auth = subscription
        self._check(endpoint)
        info = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
        try:
            response = webpush(info, data=payload, vapid_private_key=self.private_key,
                               vapid_claims={"sub": self.subject}, ttl=86400,
                               headers={"Topic": topic, "Urgency": "normal"},
                               timeout=self.timeout)
        except RequestException as exc:  # TLS, connection, timeout: try again later
            raise ChannelError(f"push failed: {type(exc).__name__}", True) from exc
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise ChannelError(f"push subscription gone ({status})", False, gone=True) \
                    from exc
            transient = status is None or status == 429 or status >= 500
            raise ChannelError(f"push failed: {status}", transient) from exc
        return response.headers.get("Location") or f"push:{response.status_code}"

    def send(self, message: Outgoing) -> str:
        if not self.private_key:
            raise ChannelError("VAPID_PRIVATE_KEY is not configured", transient=False)
        if not message.push_subscriptions:
            raise ChannelError("no push subscription", transient=False)
        payload = json.dumps({"title": message.subject, "body": message.text,
                              "url": message.link})
        ids, errors, gone = [], [], []
        for subscription in message.push_subscriptions:
            try:
                ids.append(self._push(subscription, payload, message.idempotency_key))
            except ChannelError as exc:
                errors.append(exc)
                if exc.gone:
                    gone.append(subscription[0])
        message.gone_subscription_ids = gone
        if ids:
            return ids[0]
        error = ChannelError("; ".join(map(str, errors)),
                             transient=any(e.transient for e in errors), gone=bool(gone))
        raise error

    def close(self) -> None:
        return None

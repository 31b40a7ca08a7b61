"""Inbound webhooks: `POST /inbound/email` (shared secret) and `POST /inbound/twilio`
(X-Twilio-Signature). Both are CSRF-exempt (machines post them), authenticated before
anything is read into the database, rate limited per client and per sender, and store
through `ingest_reply`. A bad secret or signature is 403 and stores nothing.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, current_app, request

from portal.extensions import csrf, limiter
from replies.email_in import from_fields, from_mime, ingest_email
from replies.ingest import IngestError, ingest_reply
from replies.twilio import valid_signature

bp = Blueprint("inbound", __name__, url_prefix="/inbound")
log = logging.getLogger("saldo.replies")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _sender_key() -> str:
    """Rate-limit key: who the message claims to be from (floods from one number)."""
    sender = request.form.get("From") or request.form.get("from") or request.form.get("sender")
    return "inbound-sender:" + (sender or request.remote_addr or "?")[:200].lower()


def _secret_ok() -> bool:
    secret = current_app.config.get("INBOUND_EMAIL_SECRET")
    if not secret:
        return False
    given = request.headers.get("X-Saldo-Inbound-Secret") or request.args.get("secret") or ""
    if request.authorization is not None and request.authorization.password:
        given = given or request.authorization.password  # https://user:secret@host/…
    return hmac.compare_digest(given.encode(), secret.encode())


@bp.post("/email")
@csrf.exempt
@limiter.limit(lambda: current_app.config.get("INBOUND_RATE_LIMIT", "120 per minute"))
@limiter.limit(lambda: current_app.config.get("INBOUND_SENDER_RATE_LIMIT", "20 per minute"),
               key_func=_sender_key)
def inbound_email():
    if not _secret_ok():
        abort(403)
    if request.mimetype in ("message/rfc822", "application/octet-stream"):
        parsed = from_mime(request.get_data())
    elif request.is_json:
        parsed = from_fields(request.get_json(silent=True) or {})
    else:
        parsed = from_fields(request.form.to_dict())
    try:
        inbound = ingest_email(parsed)
    except IngestError as exc:
        return {"status": "refused", "error": str(exc)}, 422
    return {"status": "duplicate" if inbound.duplicate else "stored", "id": inbound.id}


def _public_url() -> str:
    """The URL Twilio signed: TWILIO_WEBHOOK_URL when set (behind a proxy), else ours."""
    return current_app.config.get("TWILIO_WEBHOOK_URL") or request.url


@bp.post("/twilio")
@csrf.exempt
@limiter.limit(lambda: current_app.config.get("INBOUND_RATE_LIMIT", "120 per minute"))
@limiter.limit(lambda: current_app.config.get("INBOUND_SENDER_RATE_LIMIT", "20 per minute"),
               key_func=_sender_key)
def inbound_twilio():
    params = request.form.to_dict()
    if not valid_signature(current_app.config.get("SMS_AUTH_TOKEN"), _public_url(), params,
                           request.headers.get("X-Twilio-Signature")):
        abort(403)
    sender = params.get("From", "")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    try:
        ingest_reply(channel, sender, params.get("Body", ""), to=params.get("To"),
                     provider_id=params.get("MessageSid") or params.get("SmsSid"))
    except IngestError as exc:
        log.info("inbound %s refused: %s", channel, exc)
    return Response(EMPTY_TWIML, mimetype="text/xml")

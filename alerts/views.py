"""The alerts blueprint: the open-tracking pixel of reminder emails.

Link clicks are recorded by the portal when a debtor opens a signed link that names a
message. The pixel's token is the message id signed with SECRET_KEY, so ids cannot be
guessed or enumerated.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from portal.extensions import db, limiter
from portal.models import Message, utcnow

bp = Blueprint("alerts", __name__)
SALT = "saldo.message-open.v1"
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def pixel_url(message_id: int) -> str:
    token = _serializer().dumps(message_id)
    return f"{current_app.config['BASE_URL'].rstrip('/')}/m/{token}/open.gif"


def mark_opened(message_id: int) -> bool:
    """Record the first open of a message; True when this call recorded it."""
    result = db.session.execute(
        update(Message).where(Message.id == message_id, Message.opened_at.is_(None))
        .values(opened_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return bool(result.rowcount)


@bp.get("/m/<token>/open.gif")
@limiter.limit("60/minute")
def open_pixel(token: str):
    try:
        message_id = int(_serializer().loads(token))
    except (BadSignature, TypeError, ValueError):
        message_id = None
    if message_id is not None:
        mark_opened(message_id)
    response = Response(GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, private"
    return response

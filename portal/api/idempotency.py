"""`Idempotency-Key` on every POST: the same key with the same body gets the same response;
the same key with another body gets 422; two requests racing with one key have one effect.

The key is claimed first with an INSERT committed on its own (a unique constraint per API
key), so of two parallel requests exactly one runs the operation; the other is told (409)
that the first is still in progress, or, once it has finished, gets its stored response.
The response is stored in the same transaction as the operation's effects: either both are
committed or neither, and a request whose operation failed leaves the key free to retry.
A claim left behind by a crashed process is taken over after STALE_AFTER.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import Response, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.api.problems import ApiProblem
from portal.extensions import db
from portal.models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


def request_fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode()):
        digest.update(part.encode() + b"\0")
    body = request.get_data(cache=True)
    try:  # the same JSON written with other spacing or key order is the same request
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    digest.update(body)
    return digest.hexdigest()


def _claim(key_id: int, key: str, fingerprint: str) -> IdempotencyRecord | Response | None:
    """Claim `key`; return None when we may run, or the stored response to replay."""
    db.session.add(IdempotencyRecord(api_key_id=key_id, key=key, request_hash=fingerprint,
                                     status="started"))
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key))
    if record is None:  # released by a failed attempt meanwhile: claim again
        return _claim(key_id, key, fingerprint)
    if record.request_hash != fingerprint:
        raise ApiProblem(422, f"This {HEADER} was already used with a different request.",
                         slug="idempotency-key-reused",
                         errors=[{"field": HEADER, "message": "used with another request"}])
    if record.status == "done":
        response = Response(record.response_body, status=record.response_status,
                            mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    now = utcnow()
    taken = db.session.execute(
        update(IdempotencyRecord).where(IdempotencyRecord.id == record.id,
                                        IdempotencyRecord.status == "started",
                                        IdempotencyRecord.created_at < now - STALE_AFTER)
        .values(created_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if taken:
        return None
    raise ApiProblem(409, f"A request with this {HEADER} is still being processed; retry "
                     "shortly to get its response.", slug="idempotency-key-in-progress",
                     headers={"Retry-After": "1"})


def _release(key_id: int, key: str) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key,
        IdempotencyRecord.status == "started"))
    db.session.commit()


def _as_response(result) -> Response:
    from flask import make_response

    return make_response(result)


HEADER_DOC = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Send the same key again (with the same body) to get the first response "
                   "instead of a second effect; another body with the key is a 422.",
}


def transactional(view):
    """Decorator for POST views: honour Idempotency-Key, and commit the view's work (with the
    stored response) in one transaction, or roll everything back on an error."""
    from flask_smorest import Blueprint

    @Blueprint.doc(parameters=[HEADER_DOC])
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        key_id = g.api_key.id
        if key is not None:
            key = key.strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                raise ApiProblem(400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.",
                                 errors=[{"field": HEADER, "message": "bad length"}])
            replay = _claim(key_id, key, request_fingerprint())
            if replay is not None:
                return replay
        try:
            response = _as_response(view(*args, **kwargs))
        except Exception:
            if key is not None:
                _release(key_id, key)
            else:
                db.session.rollback()
            raise
        if key is not None:
            if 200 <= response.status_code < 300:
                db.session.execute(
                    update(IdempotencyRecord).where(IdempotencyRecord.api_key_id == key_id,
                                                    IdempotencyRecord.key == key)
                    .values(status="done", response_status=response.status_code,
                            response_body=response.get_data(as_text=True))
                    .execution_options(synchronize_session=False))
            else:
                _release(key_id, key)
                return response
        db.session.commit()
        return response

    return wrapper

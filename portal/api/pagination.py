"""Cursor pagination with `updated_since`: pages in id order, the cursor is opaque.

A sync client remembers when it started, pages through `?updated_since=<last sync>` with
`cursor=<next_cursor>` until `has_more` is false, and keeps the start time for next time.
Ids only grow, so a row created while paging shows up on a later page, never twice.
"""

from __future__ import annotations

import base64

from sqlalchemy import select

from portal.api.problems import ApiProblem
from portal.extensions import db
from portal.models import Debtor


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isdigit() or len(value) > 18:
            raise ValueError(cursor)
        return int(value)
    except ValueError as exc:
        raise ApiProblem(400, "The cursor is not one this API gave out.",
                         errors=[{"field": "cursor", "message": "not a valid cursor"}]) from exc


def page(model, args: dict, *, changed=None, debtor_column=None, query=None) -> dict:
    """One page of `model` rows. `changed` is the column (or expression) that says when a row
    last changed; `debtor_column` filters by `customer_id`."""
    query = select(model) if query is None else query
    if args.get("cursor"):
        query = query.where(model.id > decode_cursor(args["cursor"]))
    if args.get("updated_since") is not None:
        query = query.where((changed if changed is not None else model.updated_at)
                            >= args["updated_since"])
    if args.get("customer_id") is not None and debtor_column is not None:
        query = query.where(debtor_column == select(Debtor.id).where(
            Debtor.external_id == args["customer_id"]).scalar_subquery())
    limit = args.get("limit", 50)
    rows = list(db.session.scalars(query.order_by(model.id).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "has_more": has_more,
            "next_cursor": encode_cursor(rows[-1].id) if has_more else None}

"""/api/v1/debtors: upsert by external_id, read one, list."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from portal.api import bp
from portal.api.auth import actor, require
from portal.api.idempotency import transactional
from portal.api.pagination import page
from portal.api.problems import ApiProblem
from portal.api.schemas import DebtorIn, DebtorOut, ListArgs, page_schema
from portal.extensions import db
from portal.ledger.debtors import DebtorError, upsert_debtor
from portal.models import Debtor

DebtorPage = page_schema(DebtorOut, "DebtorPage")


def debtor_or_404(external_id: str) -> Debtor:
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == external_id))
    return debtor if debtor is not None else abort(404)


@bp.route("/debtors", methods=["POST"])
@require("write")
@transactional
@bp.arguments(DebtorIn)
@bp.response(200, DebtorOut, description="Updated")
@bp.alt_response(201, schema=DebtorOut, description="Created")
def upsert_debtor_view(data: dict):
    """Create or update a debtor by `external_id`."""
    identity = data.pop("identity", None)
    channels = data.pop("channels", None)
    consents = data.pop("consent", None)
    external_id = data.pop("external_id")
    try:
        debtor, created = upsert_debtor(
            external_id, data, channels=channels,
            identity=(identity["kind"], identity["value"]) if identity else None,
            consents=consents,
            actor=actor())
    except DebtorError as exc:
        raise ApiProblem(422, str(exc), slug="validation-error",
                         errors=[{"field": exc.field, "message": str(exc)}]) from exc
    return debtor, 201 if created else 200


@bp.route("/debtors", methods=["GET"])
@require("read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, DebtorPage)
def list_debtors(args: dict):
    """List debtors (cursor pagination; `updated_since`)."""
    args.pop("customer_id", None)
    return page(Debtor, args)


@bp.route("/debtors/<string:external_id>", methods=["GET"])
@require("read")
@bp.response(200, DebtorOut)
def get_debtor(external_id: str):
    """One debtor by `external_id`."""
    return debtor_or_404(external_id)

"""The audit log: filter, page, export as CSV."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.staff import bp
from portal.staff.access import role_required
from portal.staff.auditlog import (
    CSV_HEADER,
    PAGE_SIZE,
    AuditFilters,
    actor_names,
    audit_query,
    changed_keys,
    csv_rows,
)
from portal.staff.csvout import csv_response


@bp.route("/audit")
@role_required("audit")
def audit():
    filters, problems = AuditFilters.from_args(request.args)
    query = audit_query(filters)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    events = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    errors = [_("Dates must look like 2026-11-30.")] if problems else []
    return render_template("staff/audit.html", events=events, filters=filters, page=page,
                           total=total, page_size=PAGE_SIZE, names=actor_names(),
                           changed_keys=changed_keys, errors=errors), 400 if errors else 200


@bp.route("/audit.csv")
@role_required("audit")
def audit_csv():
    filters, _problems = AuditFilters.from_args(request.args)
    events = db.session.scalars(audit_query(filters).limit(100_000))
    return csv_response("audit-log.csv", CSV_HEADER, csv_rows(events, actor_names()))

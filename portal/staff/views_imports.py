"""Ledger imports: every run (command line, API, dropped files) with its counts and errors."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ImportRun
from portal.staff import bp
from portal.staff.access import role_required

PAGE_SIZE = 50
ORIGINS = {"cli": _l("command line"), "api": _l("API"), "folder": _l("import folder")}
STATUSES = {"running": _l("running"), "done": _l("imported"), "rejected": _l("rejected"),
            "failed": _l("failed")}


def _labels() -> dict:
    return {"origin_label": lambda key: ORIGINS.get(key, key),
            "status_label": lambda key: STATUSES.get(key, key)}


@bp.route("/imports")
@role_required("imports")
def imports():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(ImportRun))
    runs = db.session.scalars(
        select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("staff/imports.html", runs=runs, page=page, total=total,
                           page_size=PAGE_SIZE, **_labels())


@bp.route("/imports/<int:run_id>")
@role_required("imports")
def import_run(run_id: int):
    run = db.session.get(ImportRun, run_id) or abort(404)
    return render_template("staff/import_run.html", run=run, **_labels())

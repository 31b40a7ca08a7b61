"""The KPI dashboard (charts drawn server-side as SVG) and one CSV export per chart."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, current_app, render_template, request

from payments.money import is_known_currency
from portal.staff import bp
from portal.staff.access import role_required
from portal.staff.csvout import csv_response
from portal.staff.dashboard import CHART_KEYS, build, main_currency

EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)


def _params() -> tuple[date, str]:
    raw = request.args.get("as_of", "")
    try:
        as_of = date.fromisoformat(raw) if raw else datetime.now(UTC).date()
    except ValueError:
        abort(400)
    if not EARLIEST <= as_of <= LATEST:  # windows of weeks and months must stay valid dates
        abort(400)
    currency = request.args.get("currency", "").upper()
    if not is_known_currency(currency):
        currency = main_currency(as_of, current_app.config["DEFAULT_CURRENCY"])
    return as_of, currency


@bp.route("/dashboard")
@role_required("dashboard")
def dashboard():
    as_of, currency = _params()
    charts = [build(key, as_of, currency) for key in CHART_KEYS]
    return render_template("staff/dashboard.html", charts=charts, as_of=as_of,
                           currency=currency)


@bp.route("/dashboard/<key>.csv")
@role_required("dashboard")
def dashboard_csv(key: str):
    if key not in CHART_KEYS:
        abort(404)
    as_of, currency = _params()
    chart = build(key, as_of, currency)
    return csv_response(f"{key}-{as_of.isoformat()}.csv", chart.header, chart.rows)

"""The threshold explorer on the policy page: the backtest curve (`risk.explorer`), cached
per ledger state and model version, its chart with the active and draft cut-offs, and the
helper sentence ("to contact at most X % of invoices, set the cut-off to Y ...")."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select

from portal.extensions import db
from portal.staff.charts import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_LEFT,
    PAD_RIGHT,
    PAD_TOP,
    PALETTE,
    WIDTH,
    _axis,
    _legend,
    _svg,
)

_CACHE: dict[tuple, dict] = {}


def _key() -> tuple:
    from portal.models import Invoice, ModelVersion

    model = db.session.scalar(select(func.max(ModelVersion.id)).where(
        ModelVersion.is_active.is_(True)))
    ledger = db.session.execute(select(func.count(Invoice.id), func.max(Invoice.updated_at))
                                ).one()
    return (str(db.engine.url), model, ledger[0], str(ledger[1]),
            datetime.now(UTC).date().isoformat())


def cached() -> dict | None:
    return _CACHE.get(_key())


def compute() -> dict:
    """Run the explorer on the database ledger (slow: it trains a model) and cache it."""
    from risk.explorer import explore_database

    key = _key()
    _CACHE.clear()
    _CACHE[key] = explore_database()
    return _CACHE[key]


def helper(points: list[dict], max_share: float) -> dict | None:
    """{"share", "cutoff", "reach"} for contacting at most `max_share` of invoices."""
    from risk.explorer import cutoff_for_share

    point = cutoff_for_share(points, max_share)
    if point is None:
        return None
    return {"share": max_share, "cutoff": point["threshold"], "reach": point["reach"]}


def chart(points: list[dict], active, draft=None) -> Markup:
    """Contact share, precision and reach against the cut-off; the active policy's medium
    and high cut-offs as solid lines, the draft's as dashed ones."""
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(t: float) -> float:
        return PAD_LEFT + plot_w * t

    def y_of(v: float) -> float:
        return PAD_TOP + plot_h - plot_h * v

    body = _axis(0.0, 1.0, lambda v: f"{v:.0%}", HEIGHT)
    names = [_("contacted"), _("precision"), _("reach")]
    for s, key in enumerate(("contact_share", "precision", "reach")):
        path = " ".join(f"{x_of(p['threshold']):.1f},{y_of(p[key]):.1f}" for p in points
                        if p[key] is not None)
        body.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[s]}" '
                    f'stroke-width="2"><title>{escape(names[s])}</title></polyline>')
    marks = [(active, "", _("active"))] + ([(draft, ' stroke-dasharray="5 3"', _("draft"))]
                                          if draft is not None else [])
    for policy, dash, who in marks:
        for band, cut in ((_("medium"), policy.cut_medium), (_("high"), policy.cut_high)):
            body.append(f'<line x1="{x_of(cut):.1f}" x2="{x_of(cut):.1f}" y1="{PAD_TOP}" '
                        f'y2="{PAD_TOP + plot_h}" stroke="#111"{dash} data-mark="{escape(who)}">'
                        f"<title>{escape(who)} · {escape(band)}: {cut:.2f}</title></line>")
    for t in (0, 0.25, 0.5, 0.75, 1):
        body.append(f'<text x="{x_of(t):.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" '
                    f'text-anchor="middle" fill="#5b6475">{t:.2f}</text>')
    body += _legend(names, HEIGHT)
    return _svg(_("Threshold explorer: who a cut-off would have contacted"), body)

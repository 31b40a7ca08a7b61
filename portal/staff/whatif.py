"""The what-if comparison: the alerts planner's 14-day preview for a draft policy next to
the active one, as rows ready for a table (label, active, draft, change)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from alerts.settings import BANDS, CHANNELS
from portal import module_exists

DAYS = 14


def available() -> bool:
    return module_exists("alerts.planner")


def run_preview(settings: dict, start: date, days: int = DAYS) -> dict:
    from alerts.planner import preview

    return preview(settings, start, days=days)


def comparison_rows(active: dict, draft: dict) -> list[dict]:
    """Rows comparing two preview results; `changed` marks the ones that differ."""
    rows = []

    def add(label: str, a, b, group: str = "") -> None:
        a, b = a or 0, b or 0
        rows.append({"label": label, "group": group, "active": a, "draft": b,
                     "delta": b - a, "changed": a != b})

    add(_("Messages that would be sent"), active.get("messages"), draft.get("messages"))
    add(_("Debtors contacted"), active.get("debtors_contacted"), draft.get("debtors_contacted"))
    add(_("Expected late invoices among those reminded"),
        active.get("expected_late_reminded"), draft.get("expected_late_reminded"))
    add(_("Expected late invoices among those not reminded"),
        active.get("expected_late_skipped"), draft.get("expected_late_skipped"))
    for band in (*BANDS, *sorted(set(active.get("planned", {})) | set(draft.get("planned", {}))
                                 - set(BANDS))):
        a_band = active.get("planned", {}).get(band, {})
        d_band = draft.get("planned", {}).get(band, {})
        for channel in (*CHANNELS, *sorted((set(a_band) | set(d_band)) - set(CHANNELS))):
            if channel in a_band or channel in d_band:
                add(_("%(band)s risk · %(channel)s", band=band, channel=channel),
                    a_band.get(channel), d_band.get(channel), "planned")
        a_skip = active.get("skipped_by_band", {}).get(band)
        d_skip = draft.get("skipped_by_band", {}).get(band)
        if a_skip or d_skip:
            add(_("%(band)s risk · skipped", band=band), a_skip, d_skip, "skipped")
    reasons = sorted(set(active.get("skipped", {})) | set(draft.get("skipped", {})))
    for reason in reasons:
        add(_("skipped: %(reason)s", reason=reason), active["skipped"].get(reason),
            draft["skipped"].get(reason), "reasons")
    return rows

"""The what-if comparison for the policy page: the active policy and a draft on the same
frozen inputs (`alerts.preview.compare`), as labelled rows and explained moves."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from alerts.preview import HORIZONS
from portal import module_exists
from portal.staff.labels import label

DAYS = 14


def available() -> bool:
    return module_exists("alerts.planner")


def horizon(value) -> int:
    """The horizon asked for, one of 7, 14 or 30 days (default 14)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DAYS
    return days if days in HORIZONS else DAYS


def run_compare(active, draft, start: date, days: int = DAYS) -> dict:
    from alerts.preview import compare

    return compare(active, draft, start, days)


def row_label(key: str) -> str:
    fixed = {"messages": _("Messages that would be sent"),
             "debtors_contacted": _("Debtors contacted"),
             "expected_late_reminded": _("Expected late invoices among those reminded"),
             "expected_late_skipped": _("Expected late invoices among those not reminded")}
    if key in fixed:
        return fixed[key]
    kind, _sep, rest = key.partition(":")
    if kind == "planned":
        band, _sep, channel = rest.partition(":")
        return _("Sent · %(band)s · %(channel)s", band=label(band, "band"),
                 channel=label(channel, "channel"))
    if kind == "skipped_band":
        return _("Skipped · %(band)s", band=label(rest, "band"))
    return _("Skipped because: %(reason)s", reason=label(rest, "reason"))


def comparison_rows(result: dict) -> list[dict]:
    """Rows for the table: label, key, both values, the change and whether it changed."""
    rows = []
    for row in result["rows"]:
        a, b = row["active"], row["draft"]
        rows.append({"key": row["key"], "label": row_label(row["key"]), "active": a,
                     "draft": b, "delta": round(b - a, 4), "changed": a != b,
                     "group": row["key"].partition(":")[0]})
    return rows


def move_sentence(move: dict) -> str:
    """E.g. "23 debtors move from medium risk to high risk: +46 WhatsApp messages"."""
    n = move["debtors"]
    if move["kind"] == "band":
        head = ngettext("%(num)d debtor moves from %(a)s to %(b)s",
                        "%(num)d debtors move from %(a)s to %(b)s", n,
                        a=label(move["from"], "band"), b=label(move["to"], "band"))
    elif move["kind"] == "holdout" and move["to"] == "holdout":
        head = ngettext("%(num)d debtor joins the holdout group",
                        "%(num)d debtors join the holdout group", n)
    elif move["kind"] == "holdout":
        head = ngettext("%(num)d debtor leaves the holdout group",
                        "%(num)d debtors leave the holdout group", n)
    else:
        head = ngettext("%(num)d debtor in %(band)s is treated differently",
                        "%(num)d debtors in %(band)s are treated differently", n,
                        band=label(move["from"], "band"))
    changes = [ngettext("%(delta)s %(channel)s message", "%(delta)s %(channel)s messages",
                        abs(d), delta=f"{d:+d}", channel=label(c, "channel"))
               for c, d in move["messages"].items()]
    tail = ", ".join(changes) if changes else _("same number of messages")
    return f"{head}: {tail}"


def explained_moves(result: dict) -> list[dict]:
    return [{**m, "sentence": move_sentence(m)} for m in result["moves"]]

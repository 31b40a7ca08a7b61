"""The dashboard's charts: each one computed from kpis*, drawn as SVG, exportable as CSV.

`build(key, as_of, currency)` returns a `Chart` for one chart; `CHART_KEYS` lists them in
page order. The CSV of a chart holds exactly the numbers the chart draws.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup

from payments.money import to_major
from portal.staff import charts, kpis, kpis_alerts, kpis_model


@dataclass
class Chart:
    key: str
    title: str
    svg: Markup | None
    header: list[str]
    rows: list[list]
    headline: str = ""
    note: str = ""
    warning: str = ""
    extra: dict = field(default_factory=dict)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _pct_axis(value: float) -> str:
    return f"{value:.0%}"


def main_currency(as_of: date, fallback: str) -> str:
    counts: Counter = Counter()
    for _week, totals in kpis.collected_per_week(as_of):
        counts.update(totals)
    return counts.most_common(1)[0][0] if counts else fallback


def collected(as_of: date, currency: str) -> Chart:
    weeks = kpis.collected_per_week(as_of)
    values = [float(to_major(t.get(currency, 0), currency)) for _, t in weeks]
    labels = [w.strftime("%d %b") for w, _ in weeks]
    rows = [[w.isoformat(), currency, t.get(currency, 0), str(to_major(t.get(currency, 0),
                                                                      currency))]
            for w, t in weeks]
    return Chart("collected", _("Collected per week (%(cur)s)", cur=currency),
                 charts.bar_chart(_("Collected per week"), labels, [(currency, values)]),
                 ["week_start", "currency", "amount_minor", "amount"], rows,
                 headline=f"{sum(values):,.0f} {currency}", note=_("last 12 weeks, net of refunds"))


def on_time(as_of: date, currency: str) -> Chart:
    from portal.staff.labels import label

    data = kpis.on_time_share_by_band(as_of)
    labels = [label(b, "band") for b in data]
    rows = [[b, d["invoices"], d["on_time"], round(d["share"], 4)] for b, d in data.items()]
    return Chart("on_time", _("Share paid on time by risk band"),
                 charts.bar_chart(_("Share paid on time"), labels,
                                  [(_("on time"), [d["share"] for d in data.values()])],
                                  fmt=_pct_axis, top=1.0),
                 ["band", "invoices", "on_time", "share"], rows,
                 note=_("invoices with a known outcome, by the band predicted before the due "
                        "date"))


def dso(as_of: date, currency: str) -> Chart:
    months = kpis.dso_by_month(as_of)
    values = [m.get(currency) for _, m in months]
    rows = [[end.isoformat(), currency, None if v is None else round(v, 2)]
            for (end, _m), v in zip(months, values, strict=True)]
    latest = values[-1] if values else None
    return Chart("dso", _("Days sales outstanding (%(cur)s)", cur=currency),
                 charts.line_chart(_("DSO"), [e.strftime("%b %Y") for e, _ in months],
                                   [(_("DSO"), values)], fmt=lambda v: f"{v:.0f}"),
                 ["month_end", "currency", "dso_days"], rows,
                 headline=_("%(days)s days", days="—" if latest is None else f"{latest:.0f}"),
                 note=_("receivables ÷ invoiced in the last 90 days × 90"))


def reminders(as_of: date, currency: str) -> Chart:
    from portal.staff.labels import label

    data = kpis_alerts.reminders_by_band(as_of)
    labels = [label(b, "band") for b in data]
    rows = [[b, d["sent"], d["skipped"]] for b, d in data.items()]
    reasons = kpis_alerts.skipped_by_reason(as_of)
    return Chart("reminders", _("Reminders sent vs skipped by band"),
                 charts.bar_chart(_("Reminders"), labels,
                                  [(_("sent"), [d["sent"] for d in data.values()]),
                                   (_("skipped"), [d["skipped"] for d in data.values()])]),
                 ["band", "sent", "skipped"], rows, note=_("last 30 days"),
                 extra={"reasons": reasons})


def promises(as_of: date, currency: str) -> Chart:
    data = kpis.promise_kept_rate(as_of)
    plans = kpis.plan_completion(as_of)
    rows = [["promises", data["kept"], data["broken"], data["total"], data["rate"]],
            ["plans", plans["completed"], plans["broken"] + plans["cancelled"], plans["ended"],
             plans["rate"]]]
    return Chart("promises", _("Promises kept and plans completed"),
                 charts.bar_chart(_("Kept / completed"), [_("promises"), _("plans")],
                                  [(_("kept"), [data["kept"], plans["completed"]]),
                                   (_("broken"), [data["broken"],
                                                  plans["broken"] + plans["cancelled"]])]),
                 ["what", "kept_or_completed", "broken_or_cancelled", "total", "rate"], rows,
                 headline=_("%(p)s kept · %(q)s completed", p=_pct(data["rate"]),
                            q=_pct(plans["rate"])),
                 note=_("%(n)d plans active", n=plans["active"]))


def channels(as_of: date, currency: str) -> Chart:
    data = kpis_alerts.channel_performance(as_of)
    keys = ("delivered", "opened", "clicked", "paid_7d")
    labels = list(data)
    series = [(k, [(d[k] / d["attempted"]) if d["attempted"] else None for d in data.values()])
              for k in keys]
    rows = [[c, *[d[k] for k in ("attempted", "delivered", "failed", "opened", "clicked",
                                  "paid_7d")]] for c, d in data.items()]
    return Chart("channels", _("Channel performance"),
                 charts.bar_chart(_("Channel performance"), labels, series, fmt=_pct_axis,
                                  top=1.0),
                 ["channel", "attempted", "delivered", "failed", "opened", "clicked",
                  "paid_within_7_days"], rows, note=_("share of messages sent in the last 30 "
                                                      "days"))


def uplift(as_of: date, currency: str) -> Chart:
    data = kpis_alerts.uplift_vs_holdout(as_of)
    diff = data["uplift"]
    labels = [_("reminded"), _("holdout")]
    rows = [["reminded", data["reminded"], data["reminded_late"], data["reminded_rate"]],
            ["holdout", data["holdout"], data["holdout_late"], data["holdout_rate"]]]
    if diff:
        rows.append(["uplift", "", "", round(diff["difference"], 4)])
        rows.append(["ci95_low", "", "", round(diff["low"], 4)])
        rows.append(["ci95_high", "", "", round(diff["high"], 4)])
        headline = _("%(d)s fewer late (95%% CI %(lo)s to %(hi)s)", d=_pct(diff["difference"]),
                     lo=_pct(diff["low"]), hi=_pct(diff["high"]))
    else:
        headline = _("not enough data yet")
    return Chart("uplift", _("Uplift vs the holdout group"),
                 charts.bar_chart(_("Late rate"), labels,
                                  [(_("late rate"), [data["reminded_rate"],
                                                     data["holdout_rate"]])], fmt=_pct_axis,
                                  top=1.0),
                 ["group", "invoices", "late", "late_rate"], rows, headline=headline,
                 note=_("invoices due in the last 90 days"))


def uplift_bands(as_of: date, currency: str) -> Chart:
    from portal.staff.kpis_uplift import DETECT, uplift_by_band
    from portal.staff.labels import label

    data = uplift_by_band(as_of)
    labels = [label(b, "band") for b in data]
    rows, parts = [], []
    for band, d in data.items():
        diff = d["uplift"]
        rows.append([band, d["reminded"], d["reminded_late"], d["holdout"], d["holdout_late"],
                     *(round(diff[k], 4) if diff else None for k in ("difference", "low",
                                                                    "high")),
                     d["needed_per_group"], d["still_needed"]])
        parts.append(_("%(band)s: %(d)s (95%% CI %(lo)s to %(hi)s), %(n)d more invoices "
                       "needed", band=label(band, "band"),
                       d=_pct(diff["difference"]) if diff else "—",
                       lo=_pct(diff["low"]) if diff else "—",
                       hi=_pct(diff["high"]) if diff else "—", n=d["still_needed"]))

    def rate(late, n):
        return late / n if n else None

    return Chart("uplift_bands", _("Uplift vs the holdout group, per band"),
                 charts.bar_chart(_("Late rate"), labels, [
                     (_("reminded"), [rate(d["reminded_late"], d["reminded"])
                                      for d in data.values()]),
                     (_("holdout"), [rate(d["holdout_late"], d["holdout"])
                                     for d in data.values()])], fmt=_pct_axis, top=1.0),
                 ["band", "reminded", "reminded_late", "holdout", "holdout_late", "uplift",
                  "ci95_low", "ci95_high", "needed_per_group", "still_needed"], rows,
                 headline="; ".join(parts) or _("not enough data yet"),
                 note=_("by the band each reminder was planned under; invoices needed to "
                        "detect a %(pts)d-point difference (95%% confidence, 80%% power)",
                        pts=round(DETECT * 100)))


def model(as_of: date, currency: str) -> Chart:
    data = kpis_model.model_health(as_of)
    rows = [[round(r["low"], 2), round(r["high"], 2), r["n"], round(r["predicted"], 4),
             round(r["observed"], 4)] for r in data["calibration"]]
    auc = "—" if data["auc"] is None else f"{data['auc']:.3f}"
    return Chart("model", _("Model health: calibration"),
                 charts.calibration_chart(_("Calibration"), data["calibration"],
                                          _("predicted → observed ↑")),
                 ["bin_low", "bin_high", "invoices", "mean_predicted", "observed_late_rate"],
                 rows, headline=_("AUC %(auc)s on %(n)d invoices", auc=auc, n=data["n"]),
                 note=_("Brier score %(b)s", b="—" if data["brier"] is None
                        else f"{data['brier']:.3f}"))


def drift(as_of: date, currency: str) -> Chart:
    data = kpis_model.psi_history()
    labels = [at.strftime("%d %b") for at, _ in data["runs"]]
    rows = [[at.isoformat(), round(psi, 4)] for at, psi in data["runs"]]
    warning = _("Score drift above 0.2: the portfolio no longer looks like the training data; "
                "retrain the model.") if data["warning"] else ""
    return Chart("drift", _("Score drift (PSI)"),
                 charts.line_chart(_("PSI"), labels, [("PSI", [p for _, p in data["runs"]])],
                                   fmt=lambda v: f"{v:.2f}", threshold=kpis_model.PSI_WARNING),
                 ["scoring_run", "psi"], rows,
                 headline="—" if data["latest"] is None else f"{data['latest']:.3f}",
                 warning=warning)


BUILDERS = {f.__name__: f for f in (collected, on_time, dso, reminders, promises, channels,
                                    uplift, uplift_bands, model, drift)}
CHART_KEYS = tuple(BUILDERS)


def build(key: str, as_of: date, currency: str) -> Chart:
    return BUILDERS[key](as_of, currency)

"""The alert policy form: settings ⇄ form fields, parsing with per-field messages, and diffs.

`to_form(settings)` gives the values the form shows; `parse_form(form, base)` returns the
settings the form describes (over `base`) and {field: message} for what it could not read.
The policy's own rules (cut-offs ordered, caps, ...) are checked by
`alerts.settings.validate_settings` afterwards.
"""

from __future__ import annotations

import copy
import re

from flask_babel import gettext as _

from alerts.settings import BANDS, CHANNELS, FREQUENCIES, TONES

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)
TONE_KEYS = (*BANDS, "followup")


def _ints(values) -> str:
    return ", ".join(str(v) for v in values)


def to_form(settings: dict) -> dict:
    """Flat form values (strings, or lists for checkbox groups) for `settings`."""
    plans = settings.get("plans", {})
    values = {
        "cut_medium": str(settings["band_cutoffs"]["medium"]),
        "cut_high": str(settings["band_cutoffs"]["high"]),
        "followup_days": _ints(settings.get("followup_days", [])),
        "per_day": str(settings["caps"]["per_day"]),
        "per_week": str(settings["caps"]["per_week"]),
        "quiet_start": settings["quiet_hours"]["start"],
        "quiet_end": settings["quiet_hours"]["end"],
        "weekdays": [str(d) for d in settings["quiet_hours"].get("weekdays", [])],
        "jurisdiction": settings.get("jurisdiction") or "",
        "holdout_share": str(settings.get("holdout_share", 0)),
        "escalate_unopened_days": str(settings.get("escalate_unopened_days", 3)),
        "promise_window_days": str(settings.get("promise_window_days", 30)),
        "plan_installments": _ints(plans.get("installments", [])),
        "plan_frequencies": list(plans.get("frequencies", [])),
        "plan_min": ", ".join(f"{c}={v}" for c, v in plans.get("min_installment_major",
                                                              {}).items()),
        "plan_max_days": str(plans.get("max_duration_days", 180)),
        "plan_first_due_today": "1" if plans.get("first_due_today") else "",
    }
    for band in BANDS:
        values[f"lead_{band}"] = _ints(settings["lead_days"].get(band, []))
        values[f"channels_{band}"] = ", ".join(settings["channels"].get(band, []))
    for key in TONE_KEYS:
        values[f"tone_{key}"] = settings["tone"].get(key, "neutral")
    return values


def form_values(form) -> dict:
    """The posted values, shaped like `to_form` (checkbox groups as lists)."""
    values = {k: form.get(k, "") for k in form if k not in ("weekdays", "plan_frequencies")}
    values["weekdays"] = form.getlist("weekdays")
    values["plan_frequencies"] = form.getlist("plan_frequencies")
    return values


class _Parser:
    def __init__(self, form):
        self.form, self.errors = form, {}

    def text(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def number(self, name: str, kind=float, low=None, high=None):
        raw = self.text(name).rstrip("%")
        try:
            value = kind(raw)
        except ValueError:
            self.errors[name] = _("Enter a number.") if kind is float else _("Enter a whole "
                                                                                 "number.")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.errors[name] = _("Must be between %(low)s and %(high)s.", low=low, high=high)
            return None
        return value

    def int_list(self, name: str, low: int = 0, high: int = 365) -> list[int] | None:
        parts = [p for p in re.split(r"[,\s]+", self.text(name)) if p]
        if not all(p.isdigit() and low <= int(p) <= high for p in parts):
            self.errors[name] = _("Whole numbers between %(low)d and %(high)d, separated by "
                                  "commas.", low=low, high=high)
            return None
        return sorted({int(p) for p in parts}, reverse=True)

    def channel_list(self, name: str) -> list[str] | None:
        parts = [p.lower() for p in re.split(r"[,\s]+", self.text(name)) if p]
        unknown = [p for p in parts if p not in CHANNELS]
        if unknown:
            self.errors[name] = _("Unknown channel %(name)s: use %(known)s.",
                                  name=unknown[0], known=", ".join(CHANNELS))
            return None
        if not parts:
            self.errors[name] = _("Choose at least one channel.")
            return None
        return list(dict.fromkeys(parts))

    def choice(self, name: str, options) -> str | None:
        value = self.text(name)
        if value not in options:
            self.errors[name] = _("Choose one of the options.")
            return None
        return value

    def time(self, name: str) -> str | None:
        value = self.text(name)
        if not TIME.match(value):
            self.errors[name] = _("Enter a time like 08:00.")
            return None
        return value

    def amounts(self, name: str) -> dict | None:
        result = {}
        for part in [p for p in re.split(r"[,\n]+", self.text(name)) if p.strip()]:
            code, _sep, amount = part.partition("=")
            code, amount = code.strip().upper(), amount.strip()
            if not re.fullmatch(r"[A-Z]{3}", code) or not amount.isdigit():
                self.errors[name] = _("Write currency=amount pairs, like COP=20000, USD=10.")
                return None
            result[code] = int(amount)
        return result


def parse_form(form, base: dict) -> tuple[dict, dict[str, str]]:
    """Settings described by `form` (values that cannot be read keep `base`'s), and errors."""
    p = _Parser(form)
    s = copy.deepcopy(base)

    def put(target: dict, key: str, value) -> None:
        if value is not None:
            target[key] = value

    put(s["band_cutoffs"], "medium", p.number("cut_medium", float, 0, 1))
    put(s["band_cutoffs"], "high", p.number("cut_high", float, 0, 1))
    for band in BANDS:
        put(s["lead_days"], band, p.int_list(f"lead_{band}", 0, 30))
        put(s["channels"], band, p.channel_list(f"channels_{band}"))
    put(s, "followup_days", p.int_list("followup_days", 1, 90))
    for key in TONE_KEYS:
        put(s["tone"], key, p.choice(f"tone_{key}", TONES))
    put(s["caps"], "per_day", p.number("per_day", int, 1, 14))
    put(s["caps"], "per_week", p.number("per_week", int, 1, 14))
    put(s["quiet_hours"], "start", p.time("quiet_start"))
    put(s["quiet_hours"], "end", p.time("quiet_end"))
    s["quiet_hours"]["weekdays"] = sorted({int(d) for d in form.getlist("weekdays")
                                           if d.isdigit() and int(d) in WEEKDAYS})
    if not s["quiet_hours"]["weekdays"]:
        p.errors["weekdays"] = _("Allow at least one weekday.")
    jurisdiction = p.choice("jurisdiction", ("", "CO"))
    if jurisdiction is not None:
        s["jurisdiction"] = jurisdiction or None
    put(s, "holdout_share", p.number("holdout_share", float, 0, 0.5))
    put(s, "escalate_unopened_days", p.number("escalate_unopened_days", int, 1, 30))
    put(s, "promise_window_days", p.number("promise_window_days", int, 1, 90))
    _parse_plans(p, form, s["plans"])
    return s, p.errors


def _parse_plans(p: _Parser, form, plans: dict) -> None:
    installments = p.int_list("plan_installments", 2, 24)
    if installments is not None:
        plans["installments"] = sorted(installments)
    frequencies = [f for f in FREQUENCIES if f in form.getlist("plan_frequencies")]
    if not frequencies:
        p.errors["plan_frequencies"] = _("Offer at least one frequency.")
    plans["frequencies"] = frequencies
    minimums = p.amounts("plan_min")
    if minimums is not None:
        plans["min_installment_major"] = minimums
    max_days = p.number("plan_max_days", int, 14, 720)
    if max_days is not None:
        plans["max_duration_days"] = max_days
    plans["first_due_today"] = bool(form.get("plan_first_due_today"))


def flatten(settings, prefix: str = "") -> dict[str, object]:
    """{"band_cutoffs.high": 0.5, ...}: nested settings as dotted keys."""
    if not isinstance(settings, dict):
        return {prefix: settings}
    flat: dict[str, object] = {}
    for key, value in settings.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def diff(old: dict, new: dict) -> list[tuple[str, object, object]]:
    """(dotted key, old value, new value) for every setting that differs."""
    a, b = flatten(old or {}), flatten(new or {})
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]

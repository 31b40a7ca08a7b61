"""Why a score is high: up to three reasons per invoice, as stable codes with parameters.

``fit_profile(X, y)`` (run by ``LatePaymentModel.fit``, kept as ``model.reason_profile_``)
learns, for every feature, the late rate in each of ~10 quantile bins of the training rows,
smoothed towards the overall rate, as a log-odds uplift over that rate. ``reasons(features,
model)`` looks up each invoice's bin for the features behind each reason code and reports the
codes whose uplift is largest and positive: only reasons that push risk *up* are given, at
most one per group of related codes (so "paid 4 of the last 5 late" and "late 3 of the last
3" never both take a slot). A reason is ``{"code": "late_share", "params": {"late": 4,
"total": 5}}``; its params are JSON-safe numbers.

``describe(reason, gettext, ngettext)`` turns a reason into a phrase. Translation first, then
the placeholders are filled: ``gettext(msgid) % params``. Pass translation-only callables
(``flask_babel.get_translations().gettext`` / ``.ngettext``, or a ``gettext.GNUTranslations``),
not Flask-Babel's module-level helpers, which format the string themselves.

Babel extraction: the English msgids below are literal arguments of the no-op markers ``_`` and
``ngettext`` defined in this module, two of Babel's default keywords, so ``pybabel extract`` on
``risk/`` finds them (singular and plural for ``ngettext``) with no extra configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = 10
SMOOTHING = 20.0  # pseudo-rows pulling each bin's late rate towards the overall rate
MIN_UPLIFT = 0.05  # log-odds; weaker pushes are not worth a reason


def _(message):
    """Marker for Babel: returns ``message`` untranslated (translation happens in describe)."""
    return message


def ngettext(singular, plural):
    """Marker for Babel's plural extraction: returns both forms untranslated."""
    return singular, plural


# code -> (message, count parameter choosing the plural form or None)
MESSAGES = {
    "late_share": (ngettext("paid %(late)d of the last %(total)d invoice late",
                            "paid %(late)d of the last %(total)d invoices late"), "total"),
    "late_trend": (ngettext("paid %(late)d of the last %(total)d invoice late, more than before",
                            "paid %(late)d of the last %(total)d invoices late, more than before"),
                   "total"),
    "days_late": (ngettext("pays %(days)d day late on average",
                           "pays %(days)d days late on average"), "days"),
    "max_days_late": (ngettext("paid as much as %(days)d day late",
                               "paid as much as %(days)d days late"), "days"),
    "slow_settle": (ngettext("takes %(days)d day to pay on average",
                             "takes %(days)d days to pay on average"), "days"),
    "overdue": (ngettext("%(count)d other invoice is overdue",
                         "%(count)d other invoices are overdue"), "count"),
    "overdue_days": (ngettext("overdue invoices are %(days)d day past due on average",
                              "overdue invoices are %(days)d days past due on average"), "days"),
    "balance_ratio": (_("balance is %(ratio)g× the usual"), None),
    "open_invoices": (ngettext("%(count)d other invoice is open",
                               "%(count)d other invoices are open"), "count"),
    "amount_ratio": (_("this invoice is %(ratio)g× the usual amount"), None),
    "disputed": (_("the invoice is disputed"), None),
    "paper_billing": (_("receives bills on paper"), None),
    "broken_promises": (ngettext("broke %(count)d promise to pay",
                                 "broke %(count)d promises to pay"), "count"),
    "partial_payments": (ngettext("paid %(count)d invoice only in part",
                                  "paid %(count)d invoices only in part"), "count"),
    "no_history": (_("no payment history yet"), None),
    "unopened_messages": (ngettext("did not open %(count)d message in the last 90 days",
                                   "did not open %(count)d messages in the last 90 days"),
                          "count"),
}


def fit_profile(X, y01, feature_names=None) -> dict:
    """Per-feature binned log-odds uplift of the late rate over the overall rate."""
    X = np.asarray(X, dtype=float)
    y01 = np.asarray(y01, dtype=float)
    names = list(feature_names) if feature_names is not None else [
        f"x{j}" for j in range(X.shape[1])]
    base = float(np.clip(y01.mean(), 1e-3, 1 - 1e-3)) if len(y01) else 0.5
    features = {}
    for j, name in enumerate(names):
        column = X[:, j]
        present = ~np.isnan(column)
        if present.any():
            cuts = np.unique(np.quantile(column[present], np.linspace(0, 1, BINS + 1)[1:-1]))
        else:
            cuts = np.zeros(0)
        bins = np.where(present, np.searchsorted(cuts, column, side="right"), len(cuts) + 1)
        count = np.bincount(bins, minlength=len(cuts) + 2)
        late = np.bincount(bins, weights=y01, minlength=len(cuts) + 2)
        uplift = _logit((late + SMOOTHING * base) / (count + SMOOTHING)) - _logit(base)
        features[name] = {"cuts": cuts, "uplift": uplift[:-1], "nan_uplift": float(uplift[-1])}
    return {"base_rate": base, "features": features}


def uplift(profile: dict, name: str, values) -> np.ndarray:
    """The log-odds uplift of each value of feature ``name`` (0 where it is unknown)."""
    entry = profile["features"].get(name)
    values = np.asarray(values, dtype=float)
    if entry is None:
        return np.zeros(len(values))
    bins = np.searchsorted(entry["cuts"], values, side="right")
    return np.where(np.isnan(values), entry["nan_uplift"], entry["uplift"][bins])


def _rules(f: pd.DataFrame) -> list:
    """(code, group, feature behind it, applies-mask, params) for every reason code."""
    n = f["n_settled"].to_numpy()
    recent6, recent3 = np.minimum(n, 6), np.minimum(n, 3)
    late6 = np.rint(f["late_share_last6"].fillna(0).to_numpy() * recent6)
    late3 = np.rint(f["late_share_last3"].fillna(0).to_numpy() * recent3)
    worse = f["late_share_last3"].fillna(0) > f["late_share"].fillna(0)

    def days(col):
        return np.rint(f[col].fillna(0).to_numpy())

    def count(col):
        return f[col].fillna(0).to_numpy()

    def ratio(col):
        return np.round(f[col].fillna(0).to_numpy(), 1)

    unopened = np.maximum(count("messages_sent_90d") - count("messages_opened_90d"), 0)
    return [
        ("late_share", "lateness", "late_share_last6", late6 >= 1,
         {"late": late6, "total": recent6}),
        ("late_trend", "lateness", "late_share_last3", (n >= 4) & worse & (late3 >= 1),
         {"late": late3, "total": recent3}),
        ("days_late", "days", "mean_days_late", days("mean_days_late") >= 1,
         {"days": days("mean_days_late")}),
        ("max_days_late", "days", "max_days_late", days("max_days_late") >= 1,
         {"days": days("max_days_late")}),
        ("slow_settle", "days", "mean_days_to_settle", n > 0,
         {"days": days("mean_days_to_settle")}),
        ("overdue", "exposure", "overdue_count", count("overdue_count") >= 1,
         {"count": count("overdue_count")}),
        ("overdue_days", "exposure", "mean_days_overdue", days("mean_days_overdue") >= 1,
         {"days": days("mean_days_overdue")}),
        ("balance_ratio", "exposure", "balance_ratio", ratio("balance_ratio") >= 1.5,
         {"ratio": ratio("balance_ratio")}),
        ("open_invoices", "exposure", "open_count", count("open_count") >= 1,
         {"count": count("open_count")}),
        ("amount_ratio", "invoice", "amount_ratio", ratio("amount_ratio") >= 1.3,
         {"ratio": ratio("amount_ratio")}),
        ("disputed", "disputed", "disputed", count("disputed") > 0, {}),
        ("paper_billing", "paper", "paperless", count("paperless") == 0, {}),
        ("broken_promises", "promises", "promises_broken", count("promises_broken") >= 1,
         {"count": count("promises_broken")}),
        ("partial_payments", "partial", "partial_payments", count("partial_payments") >= 1,
         {"count": count("partial_payments")}),
        ("no_history", "history", "n_settled", n == 0, {}),
        ("unopened_messages", "engagement", "messages_opened_90d", unopened >= 1,
         {"count": unopened}),
    ]


def reasons(features: pd.DataFrame, model_or_profile, scores=None, top: int = 3,
            min_uplift: float = MIN_UPLIFT) -> list[list[dict]]:
    """Up to ``top`` risk-raising reasons per row of ``features`` (strongest first).

    ``model_or_profile`` is a fitted LatePaymentModel or its ``reason_profile_``. With
    ``scores`` (late probabilities), rows scored below the training late rate get no reasons:
    there is no high risk to explain.
    """
    profile = getattr(model_or_profile, "reason_profile_", model_or_profile)
    rules = _rules(features)
    if not {column for _c, _g, column, *_rest in rules} & set(profile["features"]):
        raise ValueError("the profile has none of the reason features: fit the model on a "
                         "DataFrame with risk.features.FEATURE_NAMES columns")
    strength = np.column_stack([
        np.where(applies, uplift(profile, column, features[column]), -np.inf)
        for _code, _group, column, applies, _params in rules
    ]) if len(features) else np.zeros((0, len(rules)))
    groups = [group for _code, group, *_rest in rules]
    for group in set(groups):  # keep only the strongest code of each group
        cols = [j for j, g in enumerate(groups) if g == group]
        if len(cols) > 1:
            best = np.asarray(cols)[np.argmax(strength[:, cols], axis=1)]
            for j in cols:
                strength[best != j, j] = -np.inf
    strength[~(strength > min_uplift)] = -np.inf
    if scores is not None:
        strength[np.asarray(scores, dtype=float) < profile["base_rate"], :] = -np.inf
    ranked = np.argsort(-strength, axis=1, kind="stable")[:, :top]
    out = []
    for i, row in enumerate(ranked):
        picked = []
        for j in row:
            if not np.isfinite(strength[i, j]):
                break
            code, params = rules[j][0], rules[j][4]
            picked.append({"code": code, "params": {k: _plain(v[i]) for k, v in params.items()}})
        out.append(picked)
    return out


def describe(reason: dict, gettext=None, ngettext=None) -> str:
    """A readable phrase for ``reason``, translated by the given callables if any."""
    message, count_key = MESSAGES[reason["code"]]
    params = reason.get("params", {})
    if count_key is None:
        template = gettext(message) if gettext else message
    else:
        singular, plural = message
        n = int(params[count_key])
        template = ngettext(singular, plural, n) if ngettext else (singular if n == 1 else plural)
    return template % params


def _plain(value):
    value = float(value)
    return int(value) if value.is_integer() else value


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))

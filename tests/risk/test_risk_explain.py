"""Reasons: stable codes with params, risk-raising only, and translatable phrases."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk import explain
from risk.explain import MESSAGES, describe, fit_profile, reasons
from risk.features import FEATURE_NAMES, compute_features
from risk.model import LatePaymentModel


def frame(**values):
    """One-row feature frame: neutral values except those given."""
    row = dict.fromkeys(FEATURE_NAMES, 0.0)
    row.update({"n_settled": 5, "late_share": 0.0, "late_share_last3": 0.0,
                "late_share_last6": 0.0, "paperless": 1.0, "amount_ratio": 1.0})
    row.update(values)
    return pd.DataFrame([row])


@pytest.fixture(scope="module")
def profile():
    """Late rate rises with late_share_last6, balance_ratio and disputed; flat elsewhere."""
    rng = np.random.default_rng(0)
    n = 4000
    data = pd.DataFrame(0.0, index=range(n), columns=FEATURE_NAMES)
    data["n_settled"] = rng.integers(1, 20, n)
    data["late_share_last6"] = rng.random(n)
    data["late_share_last3"] = rng.random(n)
    data["balance_ratio"] = rng.exponential(1.0, n)
    data["disputed"] = rng.random(n) < 0.2
    data["paperless"] = 1.0
    logit = -2 + 3 * data["late_share_last6"] + data["balance_ratio"] + 1.5 * data["disputed"]
    late = rng.random(n) < 1 / (1 + np.exp(-logit))
    return fit_profile(data.to_numpy(dtype=float), late, FEATURE_NAMES)


def test_reasons_pick_the_risk_raising_features(profile):
    risky = frame(late_share_last6=5 / 6, late_share=0.8, late_share_last3=1.0,
                  balance_ratio=3.0, disputed=1.0, n_settled=9)
    got = reasons(risky, profile)[0]
    assert {r["code"] for r in got} == {"late_share", "balance_ratio", "disputed"}
    by_code = {r["code"]: r["params"] for r in got}
    assert by_code["late_share"] == {"late": 5, "total": 6}
    assert by_code["balance_ratio"] == {"ratio": 3}
    assert by_code["disputed"] == {}
    json.dumps(got)  # params are plain JSON numbers


def test_profile_without_feature_names_is_refused():
    profile = fit_profile(np.zeros((10, len(FEATURE_NAMES))), np.arange(10) % 2)
    with pytest.raises(ValueError, match="FEATURE_NAMES"):
        reasons(frame(), profile)


def test_low_values_give_no_reasons(profile):
    assert reasons(frame(late_share_last6=0.0, balance_ratio=0.1), profile) == [[]]


def test_scores_below_the_base_rate_get_no_reasons(profile):
    risky = frame(late_share_last6=1.0, late_share=1.0, balance_ratio=4.0, disputed=1.0)
    assert reasons(risky, profile, scores=[0.01]) == [[]]
    assert len(reasons(risky, profile, scores=[0.99])[0]) == 3


def test_one_code_per_group_and_at_most_top(profile):
    risky = frame(late_share_last6=1.0, late_share_last3=1.0, late_share=0.2, n_settled=12,
                  balance_ratio=5.0, overdue_count=2.0, disputed=1.0)
    got = reasons(risky, profile, top=2)[0]
    assert len(got) == 2
    assert len({explain_group(r["code"]) for r in got}) == 2


def explain_group(code):
    groups = {"late_share": "lateness", "late_trend": "lateness", "balance_ratio": "exposure",
              "overdue": "exposure", "open_invoices": "exposure", "overdue_days": "exposure"}
    return groups.get(code, code)


def test_reasons_from_a_fitted_model(ar_ledger):
    features = compute_features(ar_ledger)
    late = (ar_ledger["settled_on"] > ar_ledger["due_on"]).to_numpy()
    model = LatePaymentModel(candidates=("logistic",), random_state=0).fit(
        features, late, sample_time=ar_ledger["issued_on"])
    scores = model.predict_proba(features)[:, 1]
    got = reasons(features, model, scores=scores)
    assert len(got) == len(features)
    top = int(np.argmax(scores))
    assert got[top] and all(r["code"] in MESSAGES for r in got[top])
    assert all(not r for r, s in zip(got, scores, strict=True) if s < late.mean())
    codes = {r["code"] for row in got for r in row}
    assert {"late_share", "disputed"} <= codes
    for row in got:
        for reason in row:
            assert describe(reason)


@pytest.mark.parametrize(("reason", "text"), [
    ({"code": "late_share", "params": {"late": 4, "total": 5}},
     "paid 4 of the last 5 invoices late"),
    ({"code": "late_share", "params": {"late": 1, "total": 1}},
     "paid 1 of the last 1 invoice late"),
    ({"code": "balance_ratio", "params": {"ratio": 3}}, "balance is 3× the usual"),
    ({"code": "balance_ratio", "params": {"ratio": 2.5}}, "balance is 2.5× the usual"),
    ({"code": "overdue", "params": {"count": 2}}, "2 other invoices are overdue"),
    ({"code": "days_late", "params": {"days": 1}}, "pays 1 day late on average"),
    ({"code": "disputed", "params": {}}, "the invoice is disputed"),
])
def test_describe_in_english(reason, text):
    assert describe(reason) == text


def test_describe_translates_before_filling_placeholders():
    catalog = {
        "balance is %(ratio)g× the usual": "le solde vaut %(ratio)g× l'habituel",
        "paid %(late)d of the last %(total)d invoices late":
            "%(late)d des %(total)d dernières factures payées en retard",
    }
    calls = []

    def gettext(msgid):
        calls.append(msgid)
        return catalog.get(msgid, msgid)

    def ngettext(singular, plural, n):
        calls.append((singular, plural, n))
        return catalog.get(plural if n != 1 else singular, singular if n == 1 else plural)

    assert describe({"code": "balance_ratio", "params": {"ratio": 3}}, gettext, ngettext) \
        == "le solde vaut 3× l'habituel"
    assert describe({"code": "late_share", "params": {"late": 4, "total": 5}}, gettext,
                    ngettext) == "4 des 5 dernières factures payées en retard"
    assert calls[0] == "balance is %(ratio)g× the usual"  # the msgid, unformatted
    assert calls[1][2] == 5


def test_every_code_has_a_phrase_and_babel_finds_every_msgid():
    extract = pytest.importorskip("babel.messages.extract")
    source = Path(explain.__file__).read_bytes()
    found = set()
    for _line, message, _comments, _context in extract.extract(
            "python", io.BytesIO(source), keywords=extract.DEFAULT_KEYWORDS):
        found.add(message)
    for code, (message, count_key) in MESSAGES.items():
        key = message if count_key is None else tuple(message)
        assert key in found, code

"""Features as of a date: hand-computed values, events, and the no-leakage property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.features import FEATURE_NAMES, compute_features


@pytest.fixture
def history(make_ledger):
    """Debtor A: early, late+disputed, late+partial+paperless, one open; then target a5."""
    return make_ledger(
        ("A", "a1", "2024-01-01", "2024-01-31", "2024-01-20", 10_000),
        ("A", "a2", "2024-02-01", "2024-03-02", "2024-03-12", 20_000, {"disputed": True}),
        ("A", "a3", "2024-03-01", "2024-03-31", "2024-04-05", 10_000,
         {"paid_minor": 5_000, "paperless": True}),
        ("A", "a4", "2024-04-01", "2024-05-01", None, 30_000),
        ("A", "a5", "2024-05-10", "2024-06-09", None, 40_000, {"paperless": True}),
        ("B", "b1", "2024-01-15", "2024-02-14", "2024-02-20", 5_000, {"disputed": True}),
        ("B", "b2", "2024-04-20", "2024-05-05", None, 7_000),
    )


def test_feature_names_are_the_columns(history):
    features = compute_features(history)
    assert list(features.columns) == FEATURE_NAMES
    assert list(features.index) == list(history["invoice_id"])
    assert features.index.name == "invoice_id"
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_target_at_its_issue_date_hand_computed(history):
    row = compute_features(history, ["a5"]).loc["a5"]
    expected = {
        # settled before 2024-05-10: a1 (11 days early), a2 (10 late), a3 (5 late)
        "n_settled": 3, "late_share": 2 / 3, "late_share_last3": 2 / 3,
        "late_share_last6": 2 / 3, "mean_days_late": 5.0, "max_days_late": 10.0,
        "last_days_late": 5.0, "mean_days_to_settle": (19 + 40 + 35) / 3,
        "undisputed_days_late": (-11 + 5) / 2, "undisputed_late_share": 0.5,
        "disputed_share": 1 / 3, "paperless_share": 1 / 3, "partial_payments": 1,
        "promises_made": 0, "promises_broken": 0, "tenure_days": 130,
        # a4 is open and 9 days overdue; a5 itself is not "other"
        "open_count": 1, "open_balance": 30_000, "overdue_count": 1,
        "overdue_balance": 30_000, "mean_days_overdue": 9.0,
        # usual = median(10000, 20000, 10000, 30000) = 15000
        "balance_ratio": 2.0, "amount": 40_000, "amount_ratio": 40_000 / 15_000,
        "term_days": 30, "issue_day": 10, "paperless": 1, "disputed": 0,
        "messages_sent_90d": 0, "messages_opened_90d": 0, "messages_clicked_90d": 0,
        "portal_visits_90d": 0,
    }
    assert set(expected) == set(FEATURE_NAMES)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value), name


def test_first_invoice_has_no_history(history):
    row = compute_features(history, ["a1"]).loc["a1"]
    assert row["n_settled"] == 0 and row["tenure_days"] == 0
    for name in ("late_share", "late_share_last3", "mean_days_late", "max_days_late",
                 "last_days_late", "undisputed_days_late", "amount_ratio"):
        assert np.isnan(row[name]), name
    assert row["open_count"] == 0 and row["balance_ratio"] == 0


def test_trend_windows_use_the_most_recent_settlements(make_ledger):
    # settled in this order: 4 on time, then 2 late; target after all of them
    rows = [("C", f"c{i}", f"2024-0{i + 1}-01", f"2024-0{i + 1}-20", f"2024-0{i + 1}-10", 100)
            for i in range(4)]
    rows += [("C", "c4", "2024-05-01", "2024-05-10", "2024-05-15", 100),
             ("C", "c5", "2024-06-01", "2024-06-10", "2024-06-13", 100),
             ("C", "t", "2024-07-01", "2024-07-31", None, 100)]
    row = compute_features(make_ledger(*rows), ["t"]).loc["t"]
    assert row["late_share"] == pytest.approx(2 / 6)
    assert row["late_share_last3"] == pytest.approx(2 / 3)
    assert row["late_share_last6"] == pytest.approx(2 / 6)
    assert row["last_days_late"] == 3
    assert row["max_days_late"] == 5


def test_open_invoice_scored_later_excludes_itself(history):
    row = compute_features(history, ["a4"], as_of="2024-05-10").loc["a4"]
    assert row["open_count"] == 0  # a4 is the only open one issued before; a5 not yet
    assert row["open_balance"] == 0 and row["balance_ratio"] == 0
    assert row["overdue_count"] == 0 and row["overdue_balance"] == 0
    assert row["mean_days_overdue"] == 0
    assert row["n_settled"] == 3
    assert row["amount_ratio"] == pytest.approx(3.0)  # usual as of its own issue: 10000
    assert row["tenure_days"] == 130


def test_settled_target_never_sees_its_own_outcome(history):
    row = compute_features(history, ["a2"], as_of="2024-05-10").loc["a2"]
    assert row["n_settled"] == 1  # only a1, settled before a2 itself was
    assert row["late_share"] == 0
    assert row["open_count"] == 1  # a4


def test_as_of_per_target_and_scalar_agree(history):
    as_of = pd.Series(pd.to_datetime(["2024-05-10", "2024-05-10"]))
    per_row = compute_features(history, ["a5", "b2"], as_of=as_of)
    scalar = compute_features(history, ["a5", "b2"], as_of="2024-05-10")
    pd.testing.assert_frame_equal(per_row, scalar)
    assert list(per_row.index) == ["a5", "b2"]
    b2 = per_row.loc["b2"]
    assert b2["n_settled"] == 1 and b2["late_share"] == 1 and b2["disputed_share"] == 1
    assert b2["undisputed_late_share"] != b2["undisputed_late_share"]  # NaN: none undisputed


def test_no_targets_no_rows(history):
    assert compute_features(history, []).shape == (0, len(FEATURE_NAMES))
    assert compute_features(history.iloc[:0]).shape == (0, len(FEATURE_NAMES))


def test_unknown_target_is_an_error(history):
    with pytest.raises(ValueError, match="not in the ledger"):
        compute_features(history, ["nope"])


def test_events_counted_before_t_and_within_90_days(history):
    promises = pd.DataFrame({
        "customer_id": ["A", "A", "B"],
        "created_on": pd.to_datetime(["2024-04-01", "2024-05-20", "2024-04-01"]),
        "promised_on": pd.to_datetime(["2024-04-15", "2024-05-25", "2024-04-10"]),
        "kept": [False, None, False],
        "broken_on": pd.to_datetime([None, None, "2024-05-11"]),
    })
    messages = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A"],
        "sent_at": pd.to_datetime(["2024-01-01T09:00Z", "2024-05-01T09:00Z",
                                   "2024-05-09T09:00Z", "2024-05-09T23:30-02:00"], utc=True,
                                  format="ISO8601"),
        "opened_at": pd.to_datetime([None, "2024-05-02T10:00Z", "2024-05-11T10:00Z", None],
                                    utc=True, format="ISO8601"),
        "clicked_at": pd.to_datetime([None, "2024-05-02T10:01Z", None, None], utc=True,
                                     format="ISO8601"),
    })
    visits = pd.DataFrame({
        "customer_id": ["A", "A", "A", "Z"],
        "visited_at": pd.to_datetime(["2024-01-01T10:00", "2024-05-09T10:00",
                                      "2024-05-10T00:00", "2024-05-09T10:00"]),
    })
    features = compute_features(history, ["a5", "b2"], as_of="2024-05-10", promises=promises,
                                messages=messages, visits=visits)
    a5, b2 = features.loc["a5"], features.loc["b2"]
    assert a5["promises_made"] == 1  # the one created 2024-05-20 is in the future
    assert a5["promises_broken"] == 1  # not kept: broken the day after 2024-04-15
    assert b2["promises_broken"] == 0  # broken_on 2024-05-11 is after t
    assert a5["messages_sent_90d"] == 2  # Jan is outside 90 days; 23:30-02:00 is after t (UTC)
    assert a5["messages_opened_90d"] == 1  # the second open happened after t
    assert a5["messages_clicked_90d"] == 1
    assert a5["portal_visits_90d"] == 1  # a visit exactly at t is not before t
    assert b2["portal_visits_90d"] == 0


def _known_at(ledger, t, promises=None):
    """The ledger (and promises) as they looked at moment t."""
    past = ledger[ledger["issued_on"] < t].copy()
    future_settled = past["settled_on"] >= t
    past.loc[future_settled, "settled_on"] = pd.NaT
    past.loc[future_settled, "paid_minor"] = 0
    if promises is None:
        return past, None
    kept = promises[promises["created_on"] < t].copy()
    kept.loc[kept["broken_on"] >= t, "broken_on"] = pd.NaT
    return past, kept


def test_adding_the_future_changes_nothing_hand_made(history):
    t = pd.Timestamp("2024-04-03")
    targets = history.loc[history["issued_on"] < t, "invoice_id"]
    full = compute_features(history, targets, as_of=t)
    past, _ = _known_at(history, t)
    pd.testing.assert_frame_equal(full, compute_features(past, targets, as_of=t))


def random_ledger(seed, n_customers=25, n_invoices=400):
    rng = np.random.default_rng(seed)
    issue = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n_invoices), "D")
    term = pd.to_timedelta(rng.choice([0, 14, 30, 60], n_invoices), "D")
    delay = pd.to_timedelta(rng.integers(-40, 60, n_invoices), "D")
    settled = pd.Series(np.maximum(issue + term + delay, issue)).where(
        rng.random(n_invoices) > 0.1)
    amount = rng.integers(100, 100_000, n_invoices)
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in rng.integers(0, n_customers, n_invoices)],
        "invoice_id": [f"i{i}" for i in range(n_invoices)],
        "issued_on": issue, "due_on": issue + term,
        "settled_on": settled.astype("datetime64[ns]"),
        "amount_minor": amount.astype("int64"),
        "paid_minor": np.where(rng.random(n_invoices) < 0.1, amount // 2, amount),
        "currency": "EUR",
        "disputed": rng.random(n_invoices) < 0.2, "paperless": rng.random(n_invoices) < 0.5,
    })


def random_promises(seed, n=150, n_customers=25):
    rng = np.random.default_rng(seed + 1)
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    broken = pd.Series(created + pd.to_timedelta(rng.integers(1, 30, n), "D"))
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in rng.integers(0, n_customers, n)],
        "created_on": created, "promised_on": created + pd.Timedelta(days=7),
        "kept": None, "broken_on": broken.where(rng.random(n) < 0.4),
    })


@pytest.mark.parametrize("seed", range(4))
def test_adding_the_future_changes_nothing_randomized(seed):
    ledger, promises = random_ledger(seed), random_promises(seed)
    rng = np.random.default_rng(seed)
    for t in pd.to_datetime(rng.integers(30, 360, 3), unit="D", origin="2023-01-01"):
        targets = ledger.loc[ledger["issued_on"] < t, "invoice_id"]
        full = compute_features(ledger, targets, as_of=t, promises=promises)
        past, past_promises = _known_at(ledger, t, promises)
        alone = compute_features(past, targets, as_of=t, promises=past_promises)
        pd.testing.assert_frame_equal(full, alone)


@pytest.mark.parametrize("seed", range(3))
def test_issue_date_features_do_not_depend_on_later_invoices(seed):
    """The backtest case: every invoice as of its own issue date, each checked alone."""
    ledger = random_ledger(seed, n_invoices=250)
    everything = compute_features(ledger)
    for invoice in ledger.sample(15, random_state=seed)["invoice_id"]:
        t = ledger.loc[ledger["invoice_id"] == invoice, "issued_on"].iloc[0]
        past, _ = _known_at(ledger, t)
        target = ledger[ledger["invoice_id"] == invoice].assign(settled_on=pd.NaT, paid_minor=0)
        alone = compute_features(pd.concat([past, target]), [invoice])
        pd.testing.assert_frame_equal(everything.loc[[invoice]], alone)


def test_vectorised_matches_a_naive_loop():
    """Cross-check the prefix-sum machinery against a straightforward per-invoice loop."""
    ledger = random_ledger(7, n_customers=8, n_invoices=120)
    features = compute_features(ledger)
    for row in ledger.itertuples():
        t = row.issued_on
        mine = ledger[(ledger["customer_id"] == row.customer_id)
                      & (ledger["invoice_id"] != row.invoice_id)]
        done = mine[mine["settled_on"] < t].sort_values("settled_on", kind="stable")
        late = (done["settled_on"] > done["due_on"]).to_numpy()
        open_ = mine[(mine["issued_on"] < t) & ~(mine["settled_on"] < t)]
        overdue = open_[open_["due_on"] < t]
        got = features.loc[row.invoice_id]
        assert got["n_settled"] == len(done)
        if len(done):
            assert got["late_share"] == pytest.approx(late.mean())
            assert got["late_share_last3"] == pytest.approx(late[-3:].mean())
        assert got["open_count"] == len(open_)
        assert got["open_balance"] == open_["amount_minor"].sum()
        assert got["overdue_count"] == len(overdue)
        assert got["overdue_balance"] == overdue["amount_minor"].sum()
        earlier = mine[mine["issued_on"] < t].sort_values("issued_on", kind="stable")
        if len(earlier):
            usual = np.median(earlier["amount_minor"].to_numpy()[-12:])
            assert got["amount_ratio"] == pytest.approx(row.amount_minor / usual)

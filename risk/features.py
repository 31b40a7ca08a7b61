"""Late-payment features for target invoices, each computed as of a moment ``t``.

``compute_features(ledger, targets, as_of, ...)`` takes the canonical invoice frame (see
``risk.ledger``) and returns one row of ``FEATURE_NAMES`` per target invoice. A target scored at
``t`` (its issue date in backtests, today in nightly scoring) only sees what was known before
``t``; nothing at or after ``t`` can change its features:

* **history**: the debtor's *other* invoices settled strictly before ``t``: how many, the share
  paid late (all, last 3, last 6), days late (mean of the late days, worst, signed for the last
  one), days to settle, the same on undisputed invoices only (the debtor's behaviour when
  nothing is contested), the share disputed and the share billed paperless. A target that is
  itself already settled at ``t`` takes its history as of its own settlement, so an invoice
  never sees its own outcome.
* **exposure**: the debtor's other invoices open at ``t`` (issued before ``t`` and not settled
  before ``t``); overdue ones are those due before ``t``. Amounts are the full invoice amounts
  (partial payments are only known by their latest state, which would leak).
* **usual amount**: the median of the debtor's last 12 invoices issued before the target's
  issue date (and before ``t``).
* **events** (optional frames, zeros when absent): promises (``customer_id, created_on,
  promised_on, kept, broken_on``; a promise counts as broken at ``broken_on``, or the day after
  ``promised_on`` when only ``kept`` is False), messages (``customer_id, sent_at, opened_at,
  clicked_at``) and portal visits (``customer_id, visited_at``), each counted at its own
  timestamp if before ``t``; engagement counts cover the 90 days before ``t``.
* **the invoice**: amount, amount / usual amount, payment term, day of month issued, paperless
  and disputed (a dispute is known in the portal as soon as it is opened).

Everything is vectorised: per kind of event, rows sorted by (customer, time) with prefix sums,
and ``searchsorted`` on a combined integer key finds each target's window. Times are handled at
one-second resolution; timezone-aware times are converted to UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86_400
HISTORY_FEATURES = [
    "n_settled", "late_share", "late_share_last3", "late_share_last6", "mean_days_late",
    "max_days_late", "last_days_late", "mean_days_to_settle", "undisputed_days_late",
    "undisputed_late_share", "disputed_share", "paperless_share", "partial_payments",
    "promises_made", "promises_broken", "tenure_days",
]
EXPOSURE_FEATURES = [
    "open_count", "open_balance", "overdue_count", "overdue_balance", "mean_days_overdue",
    "balance_ratio",
]
INVOICE_FEATURES = ["amount", "amount_ratio", "term_days", "issue_day", "paperless", "disputed"]
ENGAGEMENT_FEATURES = [
    "messages_sent_90d", "messages_opened_90d", "messages_clicked_90d", "portal_visits_90d",
]
FEATURE_NAMES = HISTORY_FEATURES + EXPOSURE_FEATURES + INVOICE_FEATURES + ENGAGEMENT_FEATURES
USUAL_WINDOW = 12
ENGAGEMENT_DAYS = 90
_NEVER = np.int64(2**62)


def compute_features(ledger: pd.DataFrame, targets=None, as_of=None, *, promises=None,
                     messages=None, visits=None) -> pd.DataFrame:
    """Features of ``targets`` (invoice ids; default every invoice) as of ``as_of``.

    ``as_of`` is None (each target's issue date), one moment for all, or one per target.
    Returns a float frame indexed by invoice_id (in the order of ``targets``), columns
    ``FEATURE_NAMES``.
    """
    invoice_ids = ledger["invoice_id"].astype(str)
    rows = _target_rows(invoice_ids, targets)
    if not len(rows):
        return pd.DataFrame(columns=list(FEATURE_NAMES), index=pd.Index([], name="invoice_id"),
                            dtype=float)
    codes, customers = pd.factorize(ledger["customer_id"].astype(str))
    inv = _Invoices(ledger, codes.astype(np.int64))
    t = _as_of_seconds(as_of, inv.issued[rows], len(rows))
    events = _event_times(customers, promises, messages, visits)
    inv.set_clock([e[1] for e in events.values()], len(customers))

    # Sorting the targets by (debtor, time) makes every searchsorted below cache-friendly.
    order = np.argsort(inv.clock.key(inv.codes[rows], t), kind="stable")
    rows, t = rows[order], t[order]
    out = {}
    out.update(_history(inv, rows, t))
    out.update(_exposure(inv, rows, t))
    out.update(_invoice_and_usual(inv, rows, t, out["open_balance"]))
    out.update(_events(inv.clock, events, inv.codes[rows], t))
    values = np.empty((len(FEATURE_NAMES), len(rows)))  # one contiguous row per feature
    for j, name in enumerate(FEATURE_NAMES):
        values[j, order] = out[name]
    index = pd.Index(invoice_ids.to_numpy()[rows[np.argsort(order)]], name="invoice_id")
    return pd.DataFrame(values.T, index=index, columns=list(FEATURE_NAMES), copy=False)


class _Clock:
    """Maps (customer code, time in seconds) to one sortable int64 key."""

    def __init__(self, origin: int, span: int):
        self.origin, self.span = origin, span

    def key(self, codes, times):
        rel = np.clip(np.asarray(times, dtype=np.int64) - self.origin, 0, self.span - 1)
        return codes * self.span + rel


class _Timeline:
    """Events of one kind sorted by (customer, time) with prefix sums of their values."""

    def __init__(self, clock: _Clock, codes, times, **values):
        keys = clock.key(codes, times)
        order = np.argsort(keys, kind="stable")
        self.clock, self.keys = clock, keys[order]
        self.codes, self.times = codes[order], times[order]
        self.values = {name: np.asarray(v)[order] for name, v in values.items()}
        self.sums = {name: np.concatenate(([0], np.cumsum(v))) for name, v in self.values.items()}

    def first(self, codes):
        return np.searchsorted(self.keys, codes * self.clock.span, side="left")

    def before(self, codes, times):
        return np.searchsorted(self.keys, self.clock.key(codes, times), side="left")

    def total(self, name, lo, hi):
        return self.sums[name][hi] - self.sums[name][lo]


class _Invoices:
    """The ledger as int64 seconds, with due and settlement clamped to the issue date."""

    def __init__(self, ledger: pd.DataFrame, codes):
        self.ledger, self.codes = ledger, codes
        self.issued = _seconds(ledger["issued_on"])
        self.due = np.maximum(_seconds(ledger["due_on"]), self.issued)
        settled = _seconds(ledger["settled_on"], missing=_NEVER)
        self.is_settled = settled != _NEVER
        self.settled = np.where(self.is_settled, np.maximum(settled, self.issued), _NEVER)
        self.amount = ledger["amount_minor"].to_numpy(dtype=np.int64)

    def set_clock(self, other_times, n_customers):
        known = [self.issued, self.due, self.settled[self.is_settled], *other_times]
        origin = min(int(a.min()) for a in known if len(a)) - DAY
        span = max(int(a.max()) for a in known if len(a)) - origin + 2 * DAY
        if span * (n_customers + 1) >= 2**62:
            raise ValueError("time span times number of debtors is too large for the index")
        self.clock = _Clock(origin, span)
        ones = np.ones(len(self.issued), dtype=np.int64)
        self.issue_line = _Timeline(self.clock, self.codes, self.issued, n=ones,
                                    amount=self.amount)
        self.due_line = _Timeline(self.clock, self.codes, self.due, n=ones, amount=self.amount,
                                  due=self.due - origin)


def _history(inv: _Invoices, rows, t):
    s = inv.is_settled
    ledger, settled, tc = inv.ledger, inv.settled[s], inv.codes[rows]
    days_late = (settled - inv.due[s]) / DAY  # signed: negative when paid early
    late = days_late > 0
    disputed = ledger["disputed"].to_numpy(dtype=bool)[s]
    paid_short = ledger["paid_minor"].to_numpy()[s] < inv.amount[s]
    line = _Timeline(
        inv.clock, inv.codes[s], settled, n=np.ones(s.sum(), dtype=np.int64),
        amount=inv.amount[s], late=late.astype(np.int64), days_late=np.maximum(days_late, 0.0),
        signed=days_late, to_settle=(settled - inv.issued[s]) / DAY,
        partial=paid_short.astype(np.int64), disputed=disputed.astype(np.int64),
        paperless=ledger["paperless"].to_numpy(dtype=np.int64)[s],
        undisputed=(~disputed).astype(np.int64),
        undisputed_late=(late & ~disputed).astype(np.int64),
        undisputed_days=np.where(disputed, 0.0, days_late),
    )
    inv.settle_line = line  # reused for exposure
    horizon = np.minimum(t, inv.settled[rows])  # a settled target never sees its own outcome
    lo, hi = line.first(tc), line.before(tc, horizon)
    n = hi - lo
    n_undisputed = line.total("undisputed", lo, hi)

    def mean(name, start=lo, count=n):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, line.total(name, start, hi) / count, np.nan)

    out = {"n_settled": n, "late_share": mean("late")}
    for k in (3, 6):
        start = np.maximum(lo, hi - k)
        out[f"late_share_last{k}"] = mean("late", start, hi - start)
    out["mean_days_late"] = mean("days_late")
    out["mean_days_to_settle"] = mean("to_settle")
    out["undisputed_days_late"] = mean("undisputed_days", count=n_undisputed)
    out["undisputed_late_share"] = mean("undisputed_late", count=n_undisputed)
    out["disputed_share"] = mean("disputed")
    out["paperless_share"] = mean("paperless")
    out["partial_payments"] = line.total("partial", lo, hi)
    last = np.maximum(hi - 1, 0)
    if s.any():
        running_max = _group_cummax(line.codes, line.values["days_late"])
        out["max_days_late"] = np.where(n > 0, running_max[last], np.nan)
        out["last_days_late"] = np.where(n > 0, line.values["signed"][last], np.nan)
    else:
        out["max_days_late"] = out["last_days_late"] = np.full(len(tc), np.nan)
    issues = inv.issue_line
    first_lo = issues.first(tc)
    first_hi = issues.before(tc, np.minimum(t, inv.issued[rows]))
    first_issue = issues.times[np.minimum(first_lo, len(issues.times) - 1)]
    out["tenure_days"] = np.where(first_hi > first_lo, (t - first_issue) / DAY, 0.0)
    return out


def _exposure(inv: _Invoices, rows, t):
    s, clock, tc = inv.is_settled, inv.clock, inv.codes[rows]
    cleared = np.maximum(inv.due[s], inv.settled[s])
    clear_line = _Timeline(clock, inv.codes[s], cleared, n=np.ones(s.sum(), dtype=np.int64),
                           amount=inv.amount[s], due=inv.due[s] - clock.origin)
    lines = {"issue": inv.issue_line, "settle": inv.settle_line, "due": inv.due_line,
             "clear": clear_line}
    bounds = {name: (line.first(tc), line.before(tc, t)) for name, line in lines.items()}

    def up_to(name, value):
        return lines[name].total(value, *bounds[name])

    own_open = (inv.issued[rows] < t) & ~(inv.settled[rows] < t)
    own_overdue = own_open & (inv.due[rows] < t)
    own_amount = inv.amount[rows]
    out = {
        "open_count": up_to("issue", "n") - up_to("settle", "n") - own_open,
        "open_balance": up_to("issue", "amount") - up_to("settle", "amount")
        - own_open * own_amount,
        "overdue_count": up_to("due", "n") - up_to("clear", "n") - own_overdue,
        "overdue_balance": up_to("due", "amount") - up_to("clear", "amount")
        - own_overdue * own_amount,
    }
    due_sum = (up_to("due", "due") - up_to("clear", "due")
               - own_overdue * (inv.due[rows] - clock.origin))
    count = out["overdue_count"]
    mean_overdue = (count * (t - clock.origin) - due_sum) / np.maximum(count, 1) / DAY
    out["mean_days_overdue"] = np.where(count > 0, mean_overdue, 0.0)
    return out


def _invoice_and_usual(inv: _Invoices, rows, t, open_balance):
    line, tc, ledger = inv.issue_line, inv.codes[rows], inv.ledger
    lo, hi = line.first(tc), line.before(tc, np.minimum(t, inv.issued[rows]))
    medians = _rolling_median(line.codes, line.values["amount"].astype(float), USUAL_WINDOW)
    usual = np.where(hi > lo, medians[np.maximum(hi - 1, 0)], np.nan)
    usual = np.where(usual > 0, usual, np.nan)
    own_amount = inv.amount[rows].astype(float)
    balance = np.asarray(open_balance, dtype=float)
    return {
        "amount": own_amount,
        "amount_ratio": own_amount / usual,
        "balance_ratio": np.where(balance == 0, 0.0, balance / usual),
        "term_days": (inv.due[rows] - inv.issued[rows]) / DAY,
        "issue_day": pd.to_datetime(inv.issued[rows], unit="s").day.to_numpy(),
        "paperless": ledger["paperless"].to_numpy(dtype=bool)[rows],
        "disputed": ledger["disputed"].to_numpy(dtype=bool)[rows],
    }


def _events(clock, events, tc, t):
    window_start = t - ENGAGEMENT_DAYS * DAY
    out = {}
    for name, (codes, times) in events.items():
        if not len(codes):
            out[name] = np.zeros(len(tc))
            continue
        line = _Timeline(clock, codes, times)
        hi = line.before(tc, t)
        lo = line.first(tc) if name.startswith("promises") else line.before(tc, window_start)
        out[name] = hi - lo
    return out


def _event_times(customers, promises, messages, visits):
    """(codes, seconds) per event feature; rows of unknown debtors or times are dropped."""
    specs = {
        "promises_made": (promises, "created_on"),
        "promises_broken": (promises, None),
        "messages_sent_90d": (messages, "sent_at"),
        "messages_opened_90d": (messages, "opened_at"),
        "messages_clicked_90d": (messages, "clicked_at"),
        "portal_visits_90d": (visits, "visited_at"),
    }
    index = pd.Index(customers)
    out = {}
    for name, (frame, column) in specs.items():
        if frame is None or len(frame) == 0:
            out[name] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
            continue
        codes = index.get_indexer(frame["customer_id"].astype(str)).astype(np.int64)
        if column is None:
            times = _broken_times(frame)
        else:
            times = _seconds(frame[column], missing=_NEVER)
        keep = (codes >= 0) & (times != _NEVER)
        out[name] = (codes[keep], times[keep])
    return out


def _broken_times(promises: pd.DataFrame):
    broken = _seconds(promises.get("broken_on", pd.Series(pd.NaT, index=promises.index)),
                      missing=_NEVER)
    kept = promises.get("kept", pd.Series(None, index=promises.index, dtype=object))
    not_kept = (kept.astype("boolean") == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
    promised = _seconds(promises["promised_on"], missing=_NEVER)
    fallback = np.where(not_kept & (promised != _NEVER), promised + DAY, _NEVER)
    return np.where(broken != _NEVER, broken, fallback)


def _seconds(values, missing=None):
    """Datetime-like values as int64 seconds (UTC); NaT becomes ``missing`` (or an error)."""
    series = pd.Series(values)
    stamps = pd.to_datetime(series, utc=True).dt.tz_localize(None).astype("datetime64[s]")
    nat = stamps.isna().to_numpy()
    secs = stamps.to_numpy().astype(np.int64)
    if nat.any():
        if missing is None:
            raise ValueError("missing date where one is required")
        secs[nat] = missing
    return secs


def _as_of_seconds(as_of, issued, n):
    if as_of is None:
        return issued.copy()
    if np.ndim(as_of) == 0:
        return np.full(n, _seconds([pd.Timestamp(as_of)])[0], dtype=np.int64)
    secs = _seconds(list(as_of) if not hasattr(as_of, "dtype") else as_of)
    if len(secs) != n:
        raise ValueError("as_of must be one moment or one per target")
    return secs


def _target_rows(invoice_ids: pd.Series, targets) -> np.ndarray:
    if not invoice_ids.is_unique:
        raise ValueError("ledger invoice_id values must be unique")
    if targets is None:
        return np.arange(len(invoice_ids))
    wanted = pd.Index(pd.Series(targets).astype(str))
    rows = pd.Index(invoice_ids).get_indexer(wanted)
    if (rows < 0).any():
        unknown = list(wanted[rows < 0][:5])
        raise ValueError(f"target invoices not in the ledger: {unknown}")
    return rows.astype(np.int64)


def _group_cummax(sorted_codes, values):
    """Running maximum that restarts at each customer (codes sorted ascending)."""
    if not len(values):
        return values
    spread = float(np.nanmax(np.abs(values))) * 2 + 1
    shifted = values + sorted_codes * spread
    return np.maximum.accumulate(shifted) - sorted_codes * spread


def _rolling_median(sorted_codes, values, window, chunk=250_000):
    """Median of the last ``window`` values up to each position, within each customer."""
    n = len(values)
    result = np.full(n, np.nan)
    if not n:
        return result
    starts = np.searchsorted(sorted_codes, sorted_codes, side="left")
    lags = np.arange(window)
    for begin in range(0, n, chunk):
        pos = np.arange(begin, min(begin + chunk, n))
        idx = pos[:, None] - lags[None, :]
        valid = idx >= starts[pos][:, None]
        block = np.where(valid, values[np.maximum(idx, 0)], np.nan)
        block.sort(axis=1)
        m = valid.sum(axis=1)
        rows = np.arange(len(pos))
        result[pos] = (block[rows, (m - 1) // 2] + block[rows, m // 2]) / 2
    return result

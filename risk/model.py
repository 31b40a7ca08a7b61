"""The late-payment model: a scikit-learn classifier that picks its own learner.

``LatePaymentModel.fit(X, y, sample_time=None)`` compares candidate learners by time-ordered
cross-validation, keeps the better one, refits it on all rows and calibrates its probabilities
on the out-of-fold predictions of that same time-ordered cross-validation (every such
prediction comes from a model that only saw earlier rows, as in production).

Candidates: ``"logistic"`` (median imputation with missing-value indicators, signed log1p,
standardisation, L2-regularised logistic regression) and ``"boosting"``
(``HistGradientBoostingClassifier``, which handles missing values itself).

Rows must be in time order for the cross-validation to be honest: pass ``sample_time`` (one
sortable value per row, e.g. the invoice issue date) or give X already sorted by time. The
folds are expanding windows whose validation blocks cover the second half of the rows. The
selection metric is the mean out-of-fold ROC AUC (``metric="roc_auc"``, the default: the
calibration step fixes the probability scale afterwards, so candidates are compared on how
well they rank) or log-loss (``metric="log_loss"``). On big data the selection runs on a random
subsample of ``max_selection_rows`` rows (kept in time order); the final fit uses every row.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from risk.explain import fit_profile

CANDIDATES = ("logistic", "boosting")
# Below this many rows OpenMP threads cost more than they bring (25 s instead of 2 s for a
# backtest on a busy 2-core machine), so fits and predictions run single-threaded.
PARALLEL_MIN_ROWS = 100_000
_EPS = 1e-6


def signed_log1p(x):
    """sign(x) * log(1 + |x|): tames heavy tails (amounts, days) and keeps zero at zero."""
    return np.sign(x) * np.log1p(np.abs(x))


class LatePaymentModel(ClassifierMixin, BaseEstimator):
    """Probability that an invoice is paid late, from the features in ``risk.features``.

    Parameters
    ----------
    candidates : tuple of str
        Learners to compare, from ``CANDIDATES``.
    n_splits : int
        Folds of the time-ordered cross-validation (fewer on tiny data).
    metric : {"log_loss", "roc_auc"}
        How the candidates are compared (mean over folds).
    calibration : {"auto", "sigmoid", "isotonic", "none"}
        "auto" uses isotonic regression with at least ``isotonic_min_rows`` out-of-fold
        predictions, otherwise a sigmoid on the log-odds (better on small data).
    C : float
        Inverse L2 regularisation strength of the logistic candidate.
    max_selection_rows : int
        Rows used for model selection at most (subsampled with ``random_state``).
    isotonic_min_rows : int
        See ``calibration``.
    random_state : int, RandomState or None
        Seeds the subsample and the boosting candidate.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The labels seen in ``fit``; the second is "late".
    chosen_ : str
        The candidate selected.
    cv_scores_ : dict
        Per candidate: mean out-of-fold ``log_loss`` and ``roc_auc``, and ``folds`` used.
    estimator_ : estimator
        The chosen candidate refitted on all rows.
    calibration_ : str
        The calibration applied ("sigmoid", "isotonic" or "none").
    calibrator_ : estimator or None
        Maps the estimator's probabilities to calibrated ones.
    reason_profile_ : dict
        Per-feature late-rate uplift used by ``risk.explain.reasons``.
    n_features_in_, feature_names_in_
        As in scikit-learn (names only when fitted on a DataFrame).
    """

    def __init__(self, candidates=CANDIDATES, n_splits=4, metric="roc_auc", calibration="auto",
                 C=1.0, max_selection_rows=200_000, isotonic_min_rows=5_000, random_state=None):
        self.candidates = candidates
        self.n_splits = n_splits
        self.metric = metric
        self.calibration = calibration
        self.C = C
        self.max_selection_rows = max_selection_rows
        self.isotonic_min_rows = isotonic_min_rows
        self.random_state = random_state

    def fit(self, X, y, sample_time=None):
        """Select, fit and calibrate. ``sample_time`` orders the rows for cross-validation."""
        self._check_params()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        with _threads_for(X):
            return self._fit(X, y, sample_time)

    def _fit(self, X, y, sample_time):
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) > 2:
            raise ValueError("Only binary classification is supported (late or not late); "
                             f"y has {len(self.classes_)} classes")
        if len(self.classes_) < 2:
            raise ValueError("y has 1 class; LatePaymentModel needs both late and not late")
        y01 = y_index.astype(np.int64)
        order = _time_order(sample_time, len(y01))
        X, y01 = X[order], y01[order]
        rng = np.random.default_rng(_seed(self.random_state))
        seed = int(rng.integers(2**31 - 1))

        selection = _selection_rows(len(y01), self.max_selection_rows, rng)
        scores, oof = {}, {}
        for name in self.candidates:
            scores[name], oof[name] = self._cross_validate(name, X[selection], y01[selection],
                                                           seed)
        self.cv_scores_ = scores
        self.chosen_ = self._pick(scores)
        self.estimator_ = self._make(self.chosen_, seed).fit(X, y01)
        self.calibration_, self.calibrator_ = _fit_calibrator(
            *oof[self.chosen_], self.calibration, self.isotonic_min_rows)
        names = getattr(self, "feature_names_in_", None)
        self.reason_profile_ = fit_profile(X, y01, names)
        return self

    def predict_proba(self, X):
        """Calibrated probabilities, columns in the order of ``classes_`` (late last)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        with _threads_for(X):
            p = _calibrate(self.calibrator_, self.estimator_.predict_proba(X)[:, 1])
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """The more likely class (late when its probability is at least one half)."""
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _check_params(self):
        unknown = set(self.candidates) - set(CANDIDATES)
        if not self.candidates or unknown:
            raise ValueError(f"candidates must be a non-empty subset of {CANDIDATES}")
        if self.metric not in ("log_loss", "roc_auc"):
            raise ValueError("metric must be 'log_loss' or 'roc_auc'")
        if self.calibration not in ("auto", "sigmoid", "isotonic", "none"):
            raise ValueError("calibration must be 'auto', 'sigmoid', 'isotonic' or 'none'")
        if int(self.n_splits) < 2:
            raise ValueError("n_splits must be at least 2")

    def _make(self, name, seed):
        if name == "logistic":
            return make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                FunctionTransformer(signed_log1p),
                StandardScaler(),
                LogisticRegression(C=self.C, max_iter=2000),
            )
        return HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=20,
            l2_regularization=1.0, random_state=seed,
        )

    def _cross_validate(self, name, X, y01, seed):
        """Mean fold scores and the out-of-fold (probability, label) pairs, oldest fold first.

        Expanding-window folds over the second half of the rows: every validation model has
        seen at least half of them, so its errors resemble those of the final model.
        """
        n_splits = max(2, min(int(self.n_splits), len(y01) // 50))
        losses, aucs, probs, labels = [], [], [], []
        if len(y01) >= 2 * n_splits:
            folds = TimeSeriesSplit(n_splits=n_splits, test_size=len(y01) // (2 * n_splits))
            for train, test in folds.split(X):
                if len(np.unique(y01[train])) < 2:
                    continue
                model = clone(self._make(name, seed)).fit(X[train], y01[train])
                p = model.predict_proba(X[test])[:, 1]
                losses.append(log_loss(y01[test], np.clip(p, _EPS, 1 - _EPS), labels=[0, 1]))
                if len(np.unique(y01[test])) == 2:
                    aucs.append(roc_auc_score(y01[test], p))
                probs.append(p)
                labels.append(y01[test])
        score = {
            "log_loss": float(np.mean(losses)) if losses else float("nan"),
            "roc_auc": float(np.mean(aucs)) if aucs else float("nan"),
            "folds": len(losses),
        }
        oof = (np.concatenate(probs) if probs else np.zeros(0),
               np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64))
        return score, oof

    def _pick(self, scores):
        def badness(name):
            value = scores[name][self.metric]
            if np.isnan(value):
                return np.inf
            return value if self.metric == "log_loss" else -value

        return min(self.candidates, key=badness)  # ties and no valid folds: the first listed


def _threads_for(X):
    """One OpenMP thread for small inputs; the library default for big ones."""
    return threadpool_limits(limits=1 if X.shape[0] < PARALLEL_MIN_ROWS else None,
                             user_api="openmp")


def _fit_calibrator(p, y01, method, isotonic_min_rows):
    if method == "none" or len(p) < 20 or len(np.unique(y01)) < 2:
        return "none", None
    if method == "auto":
        method = "isotonic" if len(p) >= isotonic_min_rows else "sigmoid"
    if method == "isotonic":
        return method, IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y01)
    return method, LogisticRegression(C=1e4).fit(_logit(p)[:, None], y01)


def _calibrate(calibrator, p):
    if calibrator is None:
        return p
    if isinstance(calibrator, IsotonicRegression):
        return np.clip(calibrator.predict(p), 0.0, 1.0)
    return calibrator.predict_proba(_logit(p)[:, None])[:, 1]


def _logit(p):
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _time_order(sample_time, n):
    if sample_time is None:
        return np.arange(n)
    times = np.asarray(sample_time)
    if len(times) != n:
        raise ValueError("sample_time must have one value per row of X")
    return np.argsort(times, kind="stable")


def _selection_rows(n, limit, rng):
    if n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, size=int(limit), replace=False))


def _seed(random_state):
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(2**31 - 1)
    return random_state

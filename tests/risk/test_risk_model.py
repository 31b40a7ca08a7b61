"""LatePaymentModel follows scikit-learn's estimator conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from risk.model import LatePaymentModel


def toy(n=400, seed=0):
    """Late when a noisy linear score is high; the second feature has missing values."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[rng.random(n) < 0.1, 1] = np.nan
    score = 2 * X[:, 0] - np.nan_to_num(X[:, 1]) + rng.normal(scale=0.5, size=n)
    return pd.DataFrame(X, columns=["a", "b", "c", "d"]), score > 0.3


@parametrize_with_checks([LatePaymentModel(random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_init_stores_params_unchanged():
    params = {"candidates": ("logistic",), "n_splits": 3, "metric": "log_loss",
              "calibration": "sigmoid", "C": 0.5, "max_selection_rows": 1000,
              "isotonic_min_rows": 10, "random_state": 7}
    model = LatePaymentModel(**params)
    assert model.get_params() == params
    assert clone(model).get_params() == params
    assert not [k for k in vars(model) if k.endswith("_")]


def test_fit_returns_self_and_sets_fitted_attributes():
    X, y = toy()
    model = LatePaymentModel(random_state=0)
    assert model.fit(X, y) is model
    assert model.chosen_ in ("logistic", "boosting")
    assert set(model.cv_scores_) == {"logistic", "boosting"}
    assert all(s["folds"] >= 2 for s in model.cv_scores_.values())
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert model.n_features_in_ == 4
    assert list(model.classes_) == [False, True]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert set(model.predict(X)) <= {False, True}
    assert (model.predict(X) == y).mean() > 0.8


def test_same_random_state_same_model():
    X, y = toy(600, seed=1)
    one = LatePaymentModel(random_state=3).fit(X, y).predict_proba(X)
    two = LatePaymentModel(random_state=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(one, two)


def test_sample_time_orders_the_cross_validation():
    X, y = toy(300, seed=2)
    shuffled = np.random.default_rng(0).permutation(len(y))
    time = np.arange(len(y))
    ordered = LatePaymentModel(candidates=("logistic",), random_state=0).fit(X, y)
    reordered = LatePaymentModel(candidates=("logistic",), random_state=0).fit(
        X.iloc[shuffled], y[shuffled], sample_time=time[shuffled])
    assert ordered.cv_scores_ == reordered.cv_scores_
    np.testing.assert_allclose(ordered.predict_proba(X), reordered.predict_proba(X))


def test_small_data_uses_sigmoid_and_big_selection_is_subsampled():
    X, y = toy(200)
    model = LatePaymentModel(random_state=0, max_selection_rows=150).fit(X, y)
    assert model.calibration_ == "sigmoid"
    assert model.cv_scores_["logistic"]["folds"] == 3  # 150 selected rows: n // 50 folds


def test_isotonic_when_enough_out_of_fold_rows():
    X, y = toy(3000)
    model = LatePaymentModel(candidates=("logistic",), isotonic_min_rows=1000,
                             random_state=0).fit(X, y)
    assert model.calibration_ == "isotonic"


@pytest.mark.parametrize("params", [{"candidates": ("forest",)}, {"metric": "accuracy"},
                                    {"calibration": "platt"}, {"n_splits": 1}])
def test_bad_params_fail_in_fit(params):
    X, y = toy(100)
    model = LatePaymentModel(**params)  # no validation in __init__
    with pytest.raises(ValueError):
        model.fit(X, y)


def test_one_class_is_refused():
    X, _ = toy(100)
    with pytest.raises(ValueError, match="1 class"):
        LatePaymentModel().fit(X, np.zeros(len(X), dtype=bool))

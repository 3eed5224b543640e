"""The active-learning benchmark's pure figures (benchmarks/active_learning/metrics.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks/active_learning/metrics.py"
_spec = importlib.util.spec_from_file_location("al_metrics", _PATH)
assert _spec is not None and _spec.loader is not None
M = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(M)


def test_enrichment_is_pick_rate_over_base_rate():
    pool = np.array([0] * 90 + [5] * 10)  # rare base rate 10 %
    assert M.enrichment(np.array([5, 5, 0, 0]), pool, {5}) == pytest.approx(5.0)
    assert M.enrichment(np.array([0, 0]), pool, {5}) == 0.0
    assert np.isnan(M.enrichment(np.array([0]), np.array([0, 0]), {5}))


def test_coverage_and_duplicate_rates():
    assert M.coverage(np.array([1, 1, 3, 7])) == 3
    assert M.same_bout_rate(np.array([4, 4, 4, 9])) == pytest.approx(0.5)
    z = np.array([[1.0, 0.0], [0.999, 0.01], [0.0, 1.0]])
    assert M.cosine_dup_rate(z, 0.98) == pytest.approx(2 / 3)
    assert M.cosine_dup_rate(z[:1]) == 0.0


def test_macro_f1_counts_every_class_including_missing_ones():
    y = np.array([0, 0, 1, 1])
    assert M.macro_f1(y, y, 2) == 1.0
    assert M.macro_f1(y, y, 4) == 0.5  # classes 2 and 3 never seen: F1 0
    # class 0: tp 1 fp 0 fn 1 -> 2/3; class 1: tp 2 fp 1 fn 0 -> 4/5
    assert M.macro_f1(y, np.array([0, 1, 1, 1]), 2) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_logistic_regression_separates_separable_classes_and_skips_absent_ones():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-3, 1, (30, 4)), rng.normal(3, 1, (30, 4))])
    y = np.array([0] * 30 + [2] * 30)
    model = M.fit_logistic(x, y, 3)
    pred = M.predict_logistic(model, x)
    assert (pred == y).mean() > 0.95 and 1 not in pred
    assert M.downstream_f1(x, y, x, y, 3) == pytest.approx(2 / 3, abs=0.02)
    assert M.downstream_f1(x[:0], y[:0], x, y, 3) == 0.0


def test_weighted_f1_weights_each_class_by_its_share_of_traffic():
    y = np.array([0, 0, 1, 1])
    pred = np.array([0, 1, 1, 1])  # F1: class 0 2/3, class 1 4/5
    assert M.weighted_f1(y, pred, np.array([3.0, 1.0])) == pytest.approx(0.75 * 2 / 3 + 0.25 * 0.8)
    assert M.weighted_f1(y, pred, np.array([1.0, 1.0])) == pytest.approx(M.macro_f1(y, pred, 2))
    # a rare class missed entirely costs little when weighted, much when balanced
    y3, p3 = np.array([0, 0, 0, 2]), np.array([0, 0, 0, 0])
    assert M.weighted_f1(y3, p3, np.array([0.9, 0.05, 0.05])) > M.macro_f1(y3, p3, 3)

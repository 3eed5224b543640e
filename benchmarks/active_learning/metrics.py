"""Pure figures of a set of picks (numpy only).

Unit-tested in tests/telemetry/test_al_metrics.py.
"""

from __future__ import annotations

import numpy as np


def enrichment(pick_labels: np.ndarray, pool_labels: np.ndarray, rare: set[int]) -> float:
    """Fraction of picks from `rare` behaviours divided by their fraction in the pool."""
    base = float(np.isin(pool_labels, list(rare)).mean())
    if base == 0 or len(pick_labels) == 0:
        return float("nan")
    return float(np.isin(pick_labels, list(rare)).mean()) / base


def rare_fraction(pick_labels: np.ndarray, rare: set[int]) -> float:
    return float(np.isin(pick_labels, list(rare)).mean()) if len(pick_labels) else float("nan")


def coverage(pick_labels: np.ndarray) -> int:
    """Distinct behaviours among the picks."""
    return int(np.unique(pick_labels).size)


def same_bout_rate(pick_bouts: np.ndarray) -> float:
    """Fraction of picks that repeat a bout already picked (ground-truth near duplicates)."""
    n = len(pick_bouts)
    return 0.0 if n == 0 else 1.0 - np.unique(pick_bouts).size / n


def cosine_dup_rate(latents: np.ndarray, threshold: float = 0.98) -> float:
    """Fraction of picks whose latent has cosine >= threshold with another pick's."""
    z = np.asarray(latents, dtype=np.float64)
    if len(z) < 2:
        return 0.0
    z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    cos = z @ z.T
    np.fill_diagonal(cos, -np.inf)
    return float((cos.max(axis=1) >= threshold).mean())


def f1_per_class(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """F1 of each class (a class never predicted nor present counts as 0)."""
    f1 = []
    for c in range(n_classes):
        tp = int(np.sum((y_pred == c) & (y_true == c)))
        fp = int(np.sum((y_pred == c) & (y_true != c)))
        fn = int(np.sum((y_pred != c) & (y_true == c)))
        f1.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return np.asarray(f1)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Mean F1 over all n_classes: every behaviour counts the same (the balanced figure)."""
    return float(np.mean(f1_per_class(y_true, y_pred, n_classes)))


def weighted_f1(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
    """F1 per class weighted by how often each behaviour occurs in the fleet's traffic
    (`weights`, normalized here): the frequency-weighted figure beside the balanced one."""
    w = np.asarray(weights, dtype=np.float64)
    return float(np.dot(f1_per_class(y_true, y_pred, len(w)), w / w.sum()))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-2, iters: int = 300
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multinomial logistic regression (full-batch gradient descent with L2 on the weights) on
    standardized features; returns (W, b, mean, std). Classes absent from y are never predicted."""
    x = np.asarray(x, dtype=np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xs = (x - mean) / std
    n, d = xs.shape
    w, b = np.zeros((d, n_classes)), np.zeros(n_classes)
    onehot = np.eye(n_classes)[y]
    present = np.zeros(n_classes, bool)
    present[np.unique(y)] = True
    lr = 0.5
    for _ in range(iters):
        p = _softmax(xs @ w + b, present)
        g = p - onehot
        w -= lr * (xs.T @ g / n + l2 * w)
        b -= lr * g.mean(0)
    b[~present] = -np.inf
    return w, b, mean, std


def predict_logistic(model: tuple, x: np.ndarray) -> np.ndarray:
    w, b, mean, std = model
    return np.argmax((np.asarray(x, dtype=np.float64) - mean) / std @ w + b, axis=1)


def _softmax(logits: np.ndarray, present: np.ndarray) -> np.ndarray:
    z = np.where(present, logits, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def downstream_f1(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, n: int
) -> float:
    """Macro-F1 on the labelled test set of a classifier trained on the picks' true labels."""
    if len(train_y) == 0:
        return 0.0
    return macro_f1(test_y, predict_logistic(fit_logistic(train_x, train_y, n), test_x), n)


def downstream_f1s(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    weights: np.ndarray,
) -> tuple[float, float]:
    """(macro-F1, frequency-weighted F1) on the test set of a classifier trained on the picks."""
    if len(train_y) == 0:
        return 0.0, 0.0
    pred = predict_logistic(fit_logistic(train_x, train_y, len(weights)), test_x)
    return macro_f1(test_y, pred, len(weights)), weighted_f1(test_y, pred, weights)

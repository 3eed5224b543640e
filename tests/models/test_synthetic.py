"""The synthetic IMU generator: seeded and physically plausible."""

from __future__ import annotations

import numpy as np
from edge_models.synthetic import ACTIVITIES, generate


def test_seeded_and_shaped():
    x1, y1 = generate(64, 5)
    x2, y2 = generate(64, 5)
    x3, _ = generate(64, 6)
    assert x1.shape == (64, 100, 9) and x1.dtype == np.float32
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_units_are_plausible():
    x, y = generate(2000, 0)
    acc, gyro, mag = x[..., 0:3], x[..., 3:6], x[..., 6:9]
    still = y == ACTIVITIES.index("still")
    g = np.linalg.norm(acc[still], axis=-1).mean()
    assert 9.6 < g < 10.0, f"|a| at rest should be ~9.81 m/s^2, got {g}"
    upright = still | (y == ACTIVITIES.index("walk"))
    assert acc[upright][..., 2].mean() > 8.5, "gravity should sit on +az when upright"
    lie = y == ACTIVITIES.index("lie")
    assert np.abs(acc[lie][..., 2]).mean() < 4.0, "lying should move gravity off az"
    b = np.linalg.norm(mag, axis=-1).mean(axis=1)
    assert b.min() > 15 and b.max() < 80, "earth field should be ~25-65 uT"
    assert np.abs(gyro[still]).max() < 0.2, "gyro at rest should be ~0 rad/s"
    shake = y == ACTIVITIES.index("shake")
    assert np.abs(gyro[shake]).max() > 3.0, "shaking should show large rad/s"
    assert set(np.unique(y)) == set(range(len(ACTIVITIES)))

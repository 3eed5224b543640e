"""Motif prototypes: seeded spherical k-means."""

from __future__ import annotations

import numpy as np
from edge_artifact.tail import cosine_rows
from edge_compiler.motifs import kmeans_prototypes


def test_recovers_separated_directions_deterministically():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 64))
    z = np.repeat(centres, 40, axis=0) * rng.uniform(0.5, 3, (480, 1))
    z += rng.normal(scale=0.05, size=z.shape)
    p1 = kmeans_prototypes(z, 12, seed=0)
    p2 = kmeans_prototypes(z, 12, seed=0)
    assert p1.shape == (12, 64) and p1.dtype == np.float32
    assert np.array_equal(p1, p2)
    np.testing.assert_allclose(np.linalg.norm(p1, axis=1), 1.0, atol=1e-6)
    for c in centres:  # every true direction has a prototype within cos 0.99
        assert cosine_rows(np.tile(c, (12, 1)), p1).max() > 0.99

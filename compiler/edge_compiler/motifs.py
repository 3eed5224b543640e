"""Motif prototypes: seeded spherical k-means over calibration latents (numpy only).

The host tail scores a latent z against prototype p_k as (1 + cos(z, p_k)) / 2 in [0, 1]
(edge_artifact.tail.HostTail.motif_scores), so clustering uses the same geometry: unit
vectors, cosine assignment, normalized means as centres.
"""

from __future__ import annotations

import numpy as np
from edge_artifact.tail import unit_rows


def kmeans_prototypes(
    latents: np.ndarray, k: int, seed: int, iters: int = 50, n_init: int = 4
) -> np.ndarray:
    """(k, D) float32 unit prototypes; deterministic for identical (latents, k, seed).

    k-means++ seeding (squared cosine distance), Lloyd iterations on the unit sphere, best of
    `n_init` seeded restarts by total cosine similarity.
    """
    z = np.asarray(unit_rows(np.asarray(latents, dtype=np.float64)), dtype=np.float64)
    n = z.shape[0]
    if n < k:
        raise ValueError(f"k-means needs at least k={k} latents, got {n}")
    rng = np.random.default_rng(seed)
    best, best_score = None, -np.inf
    for _ in range(n_init):
        c = _lloyd(z, _seed_centres(z, k, rng), iters)
        score = float(np.max(z @ c.T, axis=1).sum())
        if score > best_score:
            best, best_score = c, score
    assert best is not None
    # stable order: by cluster size (desc), then by first coordinate
    sizes = np.bincount(np.argmax(z @ best.T, axis=1), minlength=k)
    order = np.lexsort((best[:, 0], -sizes))
    return unit_rows(best[order]).astype(np.float32)


def _seed_centres(z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = z.shape[0]
    centres = [z[rng.integers(n)]]
    for _ in range(1, k):
        d = np.clip(1.0 - np.max(z @ np.stack(centres).T, axis=1), 0.0, None) ** 2
        p = d / d.sum() if d.sum() > 0 else np.full(n, 1.0 / n)
        centres.append(z[rng.choice(n, p=p)])
    return np.stack(centres)


def _lloyd(z: np.ndarray, c: np.ndarray, iters: int) -> np.ndarray:
    k = c.shape[0]
    assign = np.full(z.shape[0], -1)
    for _ in range(iters):
        new = np.argmax(z @ c.T, axis=1)
        if np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = z[assign == j]
            if len(members):
                c[j] = members.sum(0)
            else:  # empty cluster: restart it on the worst-served point
                c[j] = z[np.argmin(np.max(z @ c.T, axis=1))]
        c = np.asarray(unit_rows(c), dtype=np.float64)
    return c

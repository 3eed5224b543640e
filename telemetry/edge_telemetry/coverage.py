"""Coverage-first ordering of candidate windows: greedy k-center in the standardized latent space.

Why (benchmarks/active_learning/REPORT.md): ranking by uncertainty/entropy/novelty alone fills a
small budget with rare outliers, so the behaviours a classifier sees most are missing from the
labels; random picks waste the budget on the long, common bouts. Greedy k-center (Gonzalez 1985;
the core-set selection of Sener & Savarese, ICLR 2018) takes next the candidate farthest from
everything already taken, so every prefix of the order covers the day: the first picks span the
behaviours (rare ones are far from the rest, so they come early but not only), later picks fill
the gaps. Distances are Euclidean on latents standardized per dimension with the candidates'
own mean and sd (raw latents share a large common direction: distinct bouts of one behaviour
have cosine 0.96 at the median).

`score_mix` (>= 0) blends in the selector's score: the gain of a candidate is
`distance * (1 + score_mix * score)`. The first pick is the best-scored candidate.
Deterministic: ties go to the earlier candidate (the caller passes them best-first).
"""

from __future__ import annotations

import numpy as np


def standardized(latents: np.ndarray) -> np.ndarray:
    x = np.asarray(latents, dtype=np.float64)
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)


def k_center_order(
    latents: np.ndarray, scores: np.ndarray, k: int, score_mix: float = 0.0
) -> list[int]:
    """Indices of min(k, len(latents)) candidates in greedy k-center order (see module doc)."""
    n = len(latents)
    if n == 0 or k < 1:
        return []
    x = standardized(latents)
    s = np.asarray(scores, dtype=np.float64)
    first = int(np.argmax(s))
    order = [first]
    dist = np.linalg.norm(x - x[first], axis=1)
    taken = np.zeros(n, dtype=bool)
    taken[first] = True
    weight = 1.0 + score_mix * s
    for _ in range(min(k, n) - 1):
        gain = np.where(taken, -np.inf, dist * weight)
        i = int(np.argmax(gain))
        order.append(i)
        taken[i] = True
        np.minimum(dist, np.linalg.norm(x - x[i], axis=1), out=dist)
    return order

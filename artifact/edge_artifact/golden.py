"""The one reader of golden.npz: the reference windows and what the encoder makes of them.

    x             (N, T, C) float: raw windows (T and C as the manifest's input says)
    latent        (N, D) float: the PyTorch reference latents
    motif_scores  (N, K) float: the reference motif scores

Every reader (the daemon's golden check, the deploy health gate, verify_host.py, the DFC step,
benchmarks, the demo) goes through read_golden, so a truncated or mis-shaped file is refused
everywhere with the same message instead of failing later as an IndexError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_artifact.manifest import ArtifactError
from edge_artifact.names import GOLDEN

ARRAYS = ("x", "latent", "motif_scores")


@dataclass(frozen=True)
class Golden:
    x: np.ndarray  # (N, T, C)
    latent: np.ndarray  # (N, D)
    motif_scores: np.ndarray  # (N, K)

    @property
    def windows(self) -> int:
        return int(self.x.shape[0])


def read_golden(path: str | Path, manifest: Mapping[str, Any] | None = None) -> Golden:
    """golden.npz at `path` (the file or its artifact folder), its shapes checked against each
    other and, when given, against the manifest's input window, channels and motif count."""
    p = Path(path)
    if p.is_dir():
        p = p / GOLDEN
    try:
        with np.load(p) as z:
            missing = [k for k in ARRAYS if k not in z.files]
            if missing:
                raise ArtifactError(f"{p} lacks array {', '.join(missing)}; rebuild the artifact")
            arrays = {k: np.asarray(z[k]) for k in ARRAYS}
    except (OSError, ValueError, EOFError) as exc:
        raise ArtifactError(f"{p} is unreadable ({exc}); re-copy or rebuild the artifact") from exc
    x, latent, scores = arrays["x"], arrays["latent"], arrays["motif_scores"]
    n = x.shape[0] if x.ndim == 3 else -1
    if n < 1 or latent.ndim != 2 or scores.ndim != 2 or {latent.shape[0], scores.shape[0]} != {n}:
        raise ArtifactError(
            f"{p} has inconsistent shapes (x {x.shape}, latent {latent.shape}, motif_scores "
            f"{scores.shape}; want (N, T, C), (N, D), (N, K) with N >= 1): rebuild the artifact"
        )
    if manifest is not None:
        want = _expected(manifest)
        got = {"window": x.shape[1], "channels": x.shape[2], "motifs": scores.shape[1]}
        wrong = [f"{k} {got[k]} (manifest: {v})" for k, v in want.items() if got[k] != v]
        if wrong:
            raise ArtifactError(f"{p} does not match its manifest: {', '.join(wrong)}; rebuild")
    return Golden(x, latent, scores)


def _expected(manifest: Mapping[str, Any]) -> dict[str, int]:
    want: dict[str, int] = {}
    inp = manifest.get("input") or {}
    if "window" in inp:
        want["window"] = int(inp["window"])
    if "channels" in inp:
        want["channels"] = len(inp["channels"])
    count = (manifest.get("motifs") or {}).get("count")
    if count is not None:
        want["motifs"] = int(count)
    return want

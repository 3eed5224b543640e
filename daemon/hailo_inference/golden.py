"""Readiness gate: reproduce the artifact's golden vectors within its tolerance for the backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from edge_artifact import Artifact, Tolerance, check, read_golden
from edge_artifact.names import GOLDEN


@dataclass(frozen=True)
class GoldenReport:
    ok: bool
    backend: str
    windows: int = 0
    figures: dict[str, float] = field(default_factory=dict)
    tolerance: dict[str, float] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "backend": self.backend,
            "windows": self.windows,
            "figures": self.figures,
            "tolerance": self.tolerance,
            "message": self.message,
        }


def load_golden(artifact: Artifact) -> dict[str, np.ndarray]:
    """golden.npz through edge_artifact's one reader (shapes checked against the manifest)."""
    g = read_golden(artifact.file(GOLDEN), artifact.manifest)
    return {"x": g.x, "latent": g.latent, "motif_scores": g.motif_scores}


def check_golden(
    artifact: Artifact,
    backend: str,
    infer: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> GoldenReport:
    """Run golden x through `infer` (raw windows -> latent, scores); compare with the tolerance."""
    tol = artifact.manifest.tolerance(backend)
    if not tol:
        return GoldenReport(
            False, backend, message=f"manifest has no tolerance.{backend}; rebuild the artifact"
        )
    g = load_golden(artifact)
    latent, scores = infer(g["x"].astype(np.float32))
    t = Tolerance.from_dict(tol)
    figs: dict[str, float] = {}
    fails: list[str] = []
    for key, ref, got in (("latent", g["latent"], latent), ("motif", g["motif_scores"], scores)):
        c = check(ref, got, t, what=key)
        figs[f"{key}_min_cosine"] = c.figures["min_cosine"]
        figs[f"{key}_max_abs"] = c.figures["max_abs"]
        if t.min_snr_db is not None:
            figs[f"{key}_min_snr_db"] = c.figures["min_snr_db"]  # the worst window's SNR
        fails += c.failures
    msg = "; ".join(fails) if fails else "golden vectors reproduced"
    return GoldenReport(not fails, backend, int(g["x"].shape[0]), figs, dict(tol), msg)

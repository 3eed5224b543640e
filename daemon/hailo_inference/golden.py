"""Readiness gate: reproduce the artifact's golden vectors within its tolerance for the backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from edge_artifact import Artifact, ArtifactError, Tolerance, check
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
    try:
        with np.load(artifact.file(GOLDEN)) as z:
            g = {k: np.asarray(z[k]) for k in ("x", "latent", "motif_scores")}
    except KeyError as exc:
        raise ArtifactError(f"{artifact.path}/{GOLDEN} lacks array {exc}; rebuild") from exc
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{artifact.path}/{GOLDEN} is unreadable ({exc}); rebuild") from exc
    if g["x"].ndim != 3 or g["latent"].shape[0] != g["x"].shape[0]:
        raise ArtifactError(f"{artifact.path}/{GOLDEN} has inconsistent shapes; rebuild")
    return g


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
            figs[f"{key}_snr_db"] = c.figures["min_snr_db"]  # the worst window's SNR
        fails += c.failures
    msg = "; ".join(fails) if fails else "golden vectors reproduced"
    return GoldenReport(not fails, backend, int(g["x"].shape[0]), figs, dict(tol), msg)

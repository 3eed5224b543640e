"""Readiness gate: reproduce the artifact's golden vectors within its tolerance for the backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hailo_inference.artifact import Artifact, ArtifactError
from hailo_inference.tail import cosine_rows


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


def snr_db(ref: np.ndarray, got: np.ndarray) -> float:
    ref = np.asarray(ref, np.float64)
    noise = float(np.sum((ref - np.asarray(got, np.float64)) ** 2))
    signal = float(np.sum(ref**2))
    return float("inf") if noise == 0 else 10.0 * np.log10(max(signal, 1e-300) / noise)


def load_golden(artifact: Artifact) -> dict[str, np.ndarray]:
    try:
        with np.load(artifact.file("golden.npz")) as z:
            g = {k: np.asarray(z[k]) for k in ("x", "latent", "motif_scores")}
    except KeyError as exc:
        raise ArtifactError(f"{artifact.path}/golden.npz lacks array {exc}; rebuild") from exc
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{artifact.path}/golden.npz is unreadable ({exc}); rebuild") from exc
    if g["x"].ndim != 3 or g["latent"].shape[0] != g["x"].shape[0]:
        raise ArtifactError(f"{artifact.path}/golden.npz has inconsistent shapes; rebuild")
    return g


def check_golden(
    artifact: Artifact,
    backend: str,
    infer: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> GoldenReport:
    """Run golden x through `infer` (raw windows -> latent, scores); compare with the tolerance."""
    tol = (artifact.manifest.get("tolerance") or {}).get(backend)
    if not tol:
        return GoldenReport(
            False, backend, message=f"manifest has no tolerance.{backend}; rebuild the artifact"
        )
    g = load_golden(artifact)
    latent, scores = infer(g["x"].astype(np.float32))
    figs: dict[str, float] = {}
    fails: list[str] = []
    for key, ref, got in (("latent", g["latent"], latent), ("motif", g["motif_scores"], scores)):
        cos = float(np.min(cosine_rows(ref, got)))
        figs[f"{key}_min_cosine"] = cos
        figs[f"{key}_max_abs"] = float(np.max(np.abs(ref.astype(np.float64) - got)))
        if "min_cosine" in tol and not cos >= tol["min_cosine"]:
            fails.append(f"{key} min cosine {cos:.7f} < {tol['min_cosine']}")
        if "min_snr_db" in tol:
            snr = snr_db(ref, got)
            figs[f"{key}_snr_db"] = snr
            if not snr >= tol["min_snr_db"]:
                fails.append(f"{key} SNR {snr:.1f} dB < {tol['min_snr_db']} dB")
        if "rtol" in tol and not np.allclose(got, ref, rtol=tol["rtol"], atol=tol.get("atol", 0)):
            fails.append(f"{key} not allclose(rtol={tol['rtol']}, atol={tol.get('atol', 0)})")
    msg = "; ".join(fails) if fails else "golden vectors reproduced"
    return GoldenReport(not fails, backend, int(g["x"].shape[0]), figs, dict(tol), msg)

"""Quantized parity of the Hailo path: emulator latents against the PyTorch golden latents.

Figures per golden window: cosine and SNR (dB) of the latent; the gate takes the minimum of
each over the golden set (min_cosine, min_snr_db: the worst window, as the daemon's golden
check, /readyz and the health gate report it). SNR = 10 log10(|ref|^2 / |ref - got|^2);
pooled_snr_db pools signal and error over all windows (reported, never gated).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from edge_artifact import HostTail, Tolerance, cosine_rows
from edge_artifact.tolerance import snr_rows


@dataclass(frozen=True)
class Thresholds:
    min_cosine: float = 0.99
    min_snr_db: float = 20.0

    def __post_init__(self) -> None:
        if not -1.0 <= self.min_cosine <= 1.0:
            raise ValueError(f"min_cosine must be in [-1, 1], got {self.min_cosine}")

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(min_cosine=self.min_cosine, min_snr_db=self.min_snr_db)


@dataclass(frozen=True)
class Parity:
    windows: int
    min_cosine: float
    mean_cosine: float
    min_snr_db: float
    median_snr_db: float
    pooled_snr_db: float  # sum|ref|^2 / sum|ref - got|^2 over the whole golden set, in dB
    max_abs: float
    motif_max_abs: float

    def as_dict(self) -> dict:
        return {k: (round(v, 7) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def measure(
    ref: np.ndarray, got: np.ndarray, tail: HostTail | None = None
) -> tuple[Parity, np.ndarray, np.ndarray]:
    """(N, D) reference and emulated latents -> figures, per-window cosine, per-window SNR;
    with the artifact's `tail`, also the largest motif score difference (its motif_scores)."""
    ref = np.asarray(ref, np.float64).reshape(len(ref), -1)
    got = np.asarray(got, np.float64).reshape(len(got), -1)
    if ref.shape != got.shape:
        raise ValueError(f"latent shapes differ: reference {ref.shape}, emulator {got.shape}")
    cos = cosine_rows(ref, got)
    snr = snr_rows(ref, got)
    total = float(np.sum(ref * ref)) / max(float(np.sum((ref - got) ** 2)), 1e-300)
    motif = 0.0
    if tail is not None and len(tail.prototypes):
        s_ref = tail.motif_scores(ref.astype(np.float32))
        s_got = tail.motif_scores(got.astype(np.float32))
        motif = float(np.max(np.abs(s_ref.astype(np.float64) - s_got)))
    par = Parity(
        windows=len(ref),
        min_cosine=float(np.min(cos)),
        mean_cosine=float(np.mean(cos)),
        min_snr_db=float(np.min(snr)),
        median_snr_db=float(np.median(snr)),
        pooled_snr_db=float(10.0 * np.log10(total)),
        max_abs=float(np.max(np.abs(ref - got))),
        motif_max_abs=motif,
    )
    return par, cos, snr


def gate(par: Parity, th: Thresholds) -> list[str]:
    """What fails the thresholds, in words (empty when the HEF may be accepted)."""
    return th.tolerance.failures(asdict(par), "latent")


def plot(cos: np.ndarray, snr: np.ndarray, th: Thresholds, path: Path, title: str) -> None:
    """Histograms of per-window cosine and SNR with the thresholds drawn in."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4))
    err = np.clip(1.0 - np.asarray(cos, np.float64), 1e-9, None)  # 1 - cosine, log scale
    gate_err = max(1.0 - th.min_cosine, 1e-9)
    lo, hi = min(err.min(), gate_err) / 2, max(err.max(), gate_err) * 2
    a.hist(err, bins=np.geomspace(lo, hi, 40), color="#4477aa")
    a.set_xscale("log")
    a.axvline(gate_err, color="#cc3311", ls="--", label=f"gate: cosine {th.min_cosine}")
    a.set_xlabel("1 - latent cosine (emulator vs PyTorch)")
    a.set_ylabel("windows")
    a.legend()
    b.hist(snr, bins=40, color="#228833")
    b.axvline(th.min_snr_db, color="#cc3311", ls="--", label=f"gate {th.min_snr_db} dB")
    b.set_xlabel("latent SNR (dB)")
    b.legend()
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)

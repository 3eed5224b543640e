"""The one tolerance check: reference vs reproduced rows (latents or motif scores).

Used by the compiler's parity gates, the DFC gate, the daemon's golden check and the deploy
health gate, so every gate reads a manifest `tolerance.<backend>` entry the same way:

    min_cosine  every row's cosine similarity to its reference is at least this
    min_snr_db  every row's SNR is at least this, SNR = 10 log10(|ref|^2 / |ref - got|^2)
                (one definition: per row, gated on the worst row)
    rtol, atol  np.allclose(got, ref, rtol, atol) over all rows
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from edge_artifact.tail import cosine_rows


@dataclass(frozen=True)
class Tolerance:
    min_cosine: float | None = None
    min_snr_db: float | None = None
    rtol: float | None = None
    atol: float = 0.0

    @classmethod
    def from_dict(cls, tol: Mapping[str, float]) -> Tolerance:
        rtol = tol.get("rtol")
        if rtol is None and "atol" in tol:
            rtol = 0.0
        return cls(
            min_cosine=None if tol.get("min_cosine") is None else float(tol["min_cosine"]),
            min_snr_db=None if tol.get("min_snr_db") is None else float(tol["min_snr_db"]),
            rtol=None if rtol is None else float(rtol),
            atol=float(tol.get("atol", 0.0)),
        )

    def failures(
        self, figs: Mapping[str, float], what: str = "latent", allclose: bool | None = None
    ) -> list[str]:
        """What in `figs` (see figures()) breaks this tolerance, in words; [] when it holds."""
        out: list[str] = []
        if self.min_cosine is not None and not figs["min_cosine"] >= self.min_cosine:
            row = f" (window {figs['worst_row']})" if "worst_row" in figs else ""
            out.append(f"{what} min cosine {figs['min_cosine']:.8f} < {self.min_cosine}{row}")
        if self.min_snr_db is not None and not figs["min_snr_db"] >= self.min_snr_db:
            out.append(f"{what} min SNR {figs['min_snr_db']:.2f} dB < {self.min_snr_db} dB")
        if self.rtol is not None and allclose is False:
            out.append(
                f"{what} not allclose(rtol={self.rtol}, atol={self.atol}), "
                f"max |d| {figs['max_abs']:.3g}"
            )
        return out


@dataclass(frozen=True)
class Check:
    figures: dict[str, float]  # min_cosine, mean_cosine, max_abs, min_snr_db, worst_row
    failures: list[str] = field(default_factory=list)
    allclose: bool | None = None  # None when the tolerance sets no rtol/atol

    @property
    def ok(self) -> bool:
        return not self.failures


def snr_rows(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Per-row SNR in dB: 10 log10(|ref|^2 / |ref - got|^2), finite even for an exact row."""
    ref = np.asarray(ref, np.float64)
    err = ref - np.asarray(got, np.float64)
    sig = np.maximum(np.sum(ref * ref, axis=-1), 1e-300)
    noise = np.maximum(np.sum(err * err, axis=-1), 1e-300)
    return 10.0 * np.log10(sig / noise)


def _rows(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64)
    return a.reshape(1, -1) if a.ndim == 1 else a.reshape(len(a), -1)


def figures(ref: np.ndarray, got: np.ndarray, what: str = "latent") -> dict[str, float]:
    """(N, D) or (D,) reference vs reproduced rows -> the figures every gate reads."""
    r, g = _rows(ref), _rows(got)
    if r.shape != g.shape:
        raise ValueError(f"{what} shapes differ: reference {r.shape}, reproduced {g.shape}")
    cos = cosine_rows(r, g)
    worst = int(np.argmin(cos))
    return {
        "min_cosine": float(cos[worst]),
        "mean_cosine": float(np.mean(cos)),
        "max_abs": float(np.max(np.abs(r - g))),
        "min_snr_db": float(np.min(snr_rows(r, g))),
        "worst_row": worst,
    }


def check(
    ref: np.ndarray, got: np.ndarray, tol: Tolerance | Mapping[str, float], what: str = "latent"
) -> Check:
    """Reference vs reproduced rows within `tol`; the failures name `what`."""
    t = tol if isinstance(tol, Tolerance) else Tolerance.from_dict(tol)
    figs = figures(ref, got, what)
    close = None
    if t.rtol is not None:
        close = bool(np.allclose(_rows(got), _rows(ref), rtol=t.rtol, atol=t.atol))
    return Check(figs, t.failures(figs, what, close), close)

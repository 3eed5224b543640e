"""Parity gates: PyTorch vs ONNX Runtime on the golden set; parity.json and parity.png."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
from edge_artifact import HostTail, check, cosine_rows
from edge_artifact.names import PARITY_JSON, PARITY_PNG

from .reproducible import write_json

ONNX_TOLERANCE = {"min_cosine": 0.99999, "rtol": 1e-3, "atol": 1e-5}
HAILO_TOLERANCE = {"min_cosine": 0.99, "min_snr_db": 20}


class ParityError(Exception):
    """A parity gate failed: the artifact must not be published."""


@dataclass
class Comparison:
    name: str
    cosine: np.ndarray  # per-window latent cosine
    max_abs: float
    motif_max_abs: float
    motif_min_cosine: float
    allclose: bool
    motif_allclose: bool
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "windows": int(self.cosine.size),
            "latent_min_cosine": float(self.cosine.min()),
            "latent_mean_cosine": float(self.cosine.mean()),
            "latent_max_abs": self.max_abs,
            "latent_allclose": self.allclose,
            "motif_min_cosine": self.motif_min_cosine,
            "motif_max_abs": self.motif_max_abs,
            "motif_allclose": self.motif_allclose,
            "passed": not self.failures,
            "failures": self.failures,
        }


def run_onnx(data: bytes | Path, x_nchw: np.ndarray, batch_one: bool) -> np.ndarray:
    """Run an ONNX encoder with ORT (1 thread, deterministic); window by window if batch_one."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    src = data if isinstance(data, bytes) else str(data)
    sess = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    if batch_one:
        return np.concatenate(
            [sess.run(None, {name: x_nchw[i : i + 1]})[0] for i in range(len(x_nchw))]
        )
    return sess.run(None, {name: x_nchw})[0]


def compare(
    name: str, ref_latent: np.ndarray, got_latent: np.ndarray, tail: HostTail, tol: dict
) -> Comparison:
    """Latents and motif scores against the reference within `tol` (edge_artifact.tolerance)."""
    ref = tail.latent(ref_latent)
    got = tail.latent(got_latent)
    ms_ref, ms_got = tail.motif_scores(ref), tail.motif_scores(got)
    lat = check(ref, got, tol, what=f"{name}: latent")
    mot = check(ms_ref, ms_got, tol, what=f"{name}: motif")
    return Comparison(
        name=name,
        cosine=cosine_rows(ref, got),
        max_abs=lat.figures["max_abs"],
        motif_max_abs=mot.figures["max_abs"],
        motif_min_cosine=mot.figures["min_cosine"],
        allclose=bool(lat.allclose),
        motif_allclose=bool(mot.allclose),
        failures=lat.failures + mot.failures,
    )


def write_report(out: Path, comps: list[Comparison], extra: dict | None = None) -> dict:
    """parity.json + parity.png (histogram of per-window latent cosine); returns the JSON dict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = {"tolerance": ONNX_TOLERANCE, "comparisons": {c.name: c.summary() for c in comps}}
    if extra:
        report.update(extra)
    write_json(out / PARITY_JSON, report)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for c in comps:
        dev = np.maximum(1.0 - c.cosine, 1e-17)
        ax.hist(np.log10(dev), bins=40, alpha=0.6, label=f"{c.name} (min cos {c.cosine.min():.9f})")
    ax.axvline(
        np.log10(1.0 - ONNX_TOLERANCE["min_cosine"]), color="red", ls="--", label="gate 1-cos=1e-5"
    )
    ax.set_xlabel("log10(1 - latent cosine) per golden window")
    ax.set_ylabel("windows")
    ax.set_title("PyTorch vs ONNX Runtime parity")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / PARITY_PNG, metadata={"Software": None})
    plt.close(fig)
    return report

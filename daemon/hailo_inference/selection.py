"""Which backend serves: `model.backend` (auto | a registry key) and `model.fallback_to_onnx`.

auto tries hailo when the artifact has a HEF and a device answers, else onnx; an explicit hailo
that cannot open falls back to onnx when allowed; anything else opens exactly what was asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from edge_artifact import Artifact

from hailo_inference.backends.base import Backend, BackendUnavailable
from hailo_inference.backends.registry import open_backend, unavailable
from hailo_inference.config import ModelConfig


@dataclass(frozen=True)
class Choice:
    backend: Backend
    fallback_info: dict[str, Any] | None = None  # set when the configured backend was replaced


def choose(cfg: ModelConfig, art: Artifact, log: Any) -> Choice:
    """Open the backend the policy picks; BackendUnavailable when even that cannot open."""
    want = cfg.backend
    if want == "auto":
        why = unavailable("hailo", art)
        if why is None:
            try:
                return Choice(open_backend("hailo", art, cfg))
            except BackendUnavailable as exc:
                log.warning("backend_auto_hailo_failed", reason=str(exc))
        else:
            log.info("backend_auto_onnx", reason=why)
        return Choice(open_backend("onnx", art, cfg))
    if want == "hailo" and cfg.fallback_to_onnx:
        try:
            return Choice(open_backend("hailo", art, cfg))
        except BackendUnavailable as exc:
            info = {"from": "hailo", "to": "onnx", "reason": str(exc), "at": time.time()}
            log.warning("backend_fallback", **info)
            return Choice(open_backend("onnx", art, cfg), info)
    return Choice(open_backend(want, art, cfg))


def keeps_standby(cfg: ModelConfig, primary: Backend) -> bool:
    """Whether a golden-checked onnx backend is kept ready behind the primary."""
    return primary.kind == "hailo" and cfg.fallback_to_onnx

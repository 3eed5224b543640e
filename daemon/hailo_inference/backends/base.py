"""What every backend provides, and the errors it may raise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the errors must not load numpy (supervisor)
    import numpy as np


class BackendUnavailable(Exception):
    """The backend cannot be created here (no device, no runtime, no model file)."""


class BackendError(Exception):
    """The backend failed at run time (device error); the daemon may fall back to onnx."""


class BackendTimeout(BackendError):
    """The backend did not answer within the request's timeout."""


class Backend(Protocol):
    kind: str  # "hailo" | "onnx" | "stub"
    layout: str  # "NCHW" | "NHWC": what `run` takes
    normalization_on_chip: bool
    is_stub: bool

    def run(self, x: np.ndarray, timeout_s: float) -> np.ndarray:
        """Prepared input (N, ...) float32 in `layout` -> accelerator output (N, 64, ...)."""
        ...

    def describe(self) -> dict:
        """Facts for /v1/model and /healthz (file, sha256, threads, device...)."""
        ...

    def temperatures(self) -> dict[str, float]:
        """Device temperatures in degrees Celsius by sensor ({} when not applicable)."""
        ...

    def close(self) -> None: ...

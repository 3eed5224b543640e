"""ONNX Runtime on the CPU: one shared session for every request thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from edge_artifact import Artifact, ArtifactError

from hailo_inference.backends.base import BackendError, BackendTimeout, BackendUnavailable
from hailo_inference.backends.deadline import DEADLINES
from hailo_inference.logs import native_stderr_logged

with native_stderr_logged("onnxruntime"):  # cpuinfo may print bare text while ORT loads
    import onnxruntime as ort

if TYPE_CHECKING:
    from hailo_inference.config import ModelConfig

KEY = "onnx"


def unavailable(artifact: Artifact) -> str | None:
    return None if artifact.backend(KEY) else "the artifact has no backends.onnx entry"


def create(artifact: Artifact, cfg: ModelConfig) -> OnnxBackend:
    return OnnxBackend(artifact, cfg.onnx_threads)


class OnnxBackend:
    kind = KEY
    is_stub = False

    def __init__(self, artifact: Artifact, threads: int = 1) -> None:
        entry = artifact.backend("onnx")
        if not entry:
            raise BackendUnavailable(f"{artifact.path}: manifest has no backends.onnx entry")
        try:
            path = artifact.file(entry["file"])
        except ArtifactError as exc:
            raise BackendUnavailable(str(exc)) from exc
        self.layout = str(entry.get("layout", "NCHW"))
        self.normalization_on_chip = bool(entry.get("normalization_on_chip", False))
        self.threads = threads
        opts = ort.SessionOptions()
        # Explicit thread counts (chosen by measurement: benchmarks/REPORT.md)
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        try:
            with native_stderr_logged("onnxruntime"):
                self.session = ort.InferenceSession(
                    str(path), sess_options=opts, providers=["CPUExecutionProvider"]
                )
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph types
            raise BackendUnavailable(f"ONNX Runtime cannot load {path}: {exc}") from exc
        inputs = [i.name for i in self.session.get_inputs()]
        outputs = [o.name for o in self.session.get_outputs()]
        self.input_name = str(entry.get("input") or inputs[0])
        self.output_name = str(entry.get("output") or outputs[0])
        if self.input_name not in inputs or self.output_name not in outputs:
            raise BackendUnavailable(
                f"{path}: manifest names input {self.input_name!r} / output "
                f"{self.output_name!r} but the graph has {inputs} / {outputs}; rebuild the artifact"
            )
        self.file = entry["file"]
        self.sha256 = artifact.manifest.file_sha256(entry["file"])

    def run(self, x: np.ndarray, timeout_s: float) -> np.ndarray:
        ro = ort.RunOptions()
        token = DEADLINES.arm(ro, timeout_s)
        try:
            return self.session.run([self.output_name], {self.input_name: x}, ro)[0]
        except Exception as exc:
            if ro.terminate:
                raise BackendTimeout(
                    f"ONNX Runtime did not finish within {timeout_s * 1000:.0f} ms "
                    "(server.request_timeout_s)"
                ) from exc
            raise BackendError(f"ONNX Runtime failed: {exc}") from exc
        finally:
            DEADLINES.disarm(token)

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "sha256": self.sha256,
            "layout": self.layout,
            "intra_op_threads": self.threads,
            "onnxruntime": ort.__version__,
        }

    def temperatures(self) -> dict[str, float]:
        return {}

    def close(self) -> None:
        self.session = None  # type: ignore[assignment]

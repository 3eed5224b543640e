"""Content-addressed artifact versions: "<semver>-<sha256(inputs)[:12]>"."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import edge_artifact
import edge_models
import numpy as np
import onnx
import onnxruntime
import torch

SEMVER = "0.1.0"
_COMPILER = Path(__file__).parent
_HEF_PACKAGE = "hef"


def tool_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
    }


def code_sha256() -> str:
    """sha256 over the source of edge_models, edge_compiler and edge_artifact (the contract).

    The DFC package (edge_compiler/hef/) is left out: it adds a HEF to an existing artifact
    and does not change any file this build writes (the HEF has its own inputs key).
    """
    h = hashlib.sha256()
    for root in (Path(edge_models.__file__).parent, _COMPILER, Path(edge_artifact.__file__).parent):
        for f in sorted(root.rglob("*.py")):
            rel = f.relative_to(root)
            if root == _COMPILER and rel.parts[0] == _HEF_PACKAGE:
                continue
            h.update(rel.as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def inputs_sha256(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def version_of(inputs_hash: str) -> str:
    return f"{SEMVER}-{inputs_hash[:12]}"


def state_dict_sha256(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().astype(np.float32).tobytes())
    return h.hexdigest()

"""Shared fixtures (owned by the model/compiler work; add yours, keep these stable)."""

from __future__ import annotations

from pathlib import Path

import pytest

EDGEINFER_ONNX = (
    Path(__file__).resolve().parents[2]
    / "shared/models/edgeinfer-tcn-encoder/tcn_encoder_for_edgeinfer.onnx"
)


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete, valid artifact folder (docs/artifact.md) from seeded untrained weights.

    Built once per test session (~5 s) with `--recipe untrained --seed 0`; returns the
    artifacts/<model>/<version>/ folder. Treat it as read-only: copy it before corrupting files.
    """
    import torch
    from edge_compiler import recipes
    from edge_compiler.build import build_artifact

    torch.set_num_threads(2)
    inputs, make = recipes.untrained(seed=0)
    root = tmp_path_factory.mktemp("artifacts")
    return build_artifact(inputs, make, root, log=lambda _m: None).path


@pytest.fixture(scope="session")
def edgeinfer_onnx() -> Path:
    """The original EdgeInfer encoder ONNX (read from ../shared; never copied into the repo)."""
    if not EDGEINFER_ONNX.is_file():
        pytest.skip(
            f"original EdgeInfer ONNX not present at {EDGEINFER_ONNX} (only on dev machines)"
        )
    return EDGEINFER_ONNX

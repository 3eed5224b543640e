"""Shared fixtures, and the rule that splits the suite: tests under LAB_DIRS, and only those,
carry the `lab` marker (`make test-lab` runs `-m lab`, `make test-unit` runs `-m "not lab"`).

One ordering rule: a test marked `lab_down` takes the whole lab down and up again (fresh hosts,
nothing deployed), so it runs after every other test of the session, wherever it was collected;
no other lab test may rely on running before or after another module."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import fake_imports
import pytest

TESTS = Path(__file__).resolve().parent
LAB_DIRS = ("lab", "fleet", "deploy")  # need the lab fleet (root, systemd-nspawn)

EDGEINFER_ONNX = (
    Path(__file__).resolve().parents[2]
    / "shared/models/edgeinfer-tcn-encoder/tcn_encoder_for_edgeinfer.onnx"
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a test whose `lab` marker disagrees with its folder: it would run in neither run.
    Then move the `lab_down` tests to the end (the module docstring says why)."""
    wrong = []
    for item in items:
        rel = Path(item.path).resolve().relative_to(TESTS)
        in_lab_dir = rel.parts[0] in LAB_DIRS
        if in_lab_dir != (item.get_closest_marker("lab") is not None):
            wrong.append(item.nodeid)
    if wrong:
        raise pytest.UsageError(
            f"tests under tests/{{{','.join(LAB_DIRS)}}}/ must be marked `lab` (pytestmark = "
            "pytest.mark.lab) and no other test may be: " + ", ".join(wrong)
        )
    # `ctl` tests import ansible in-process: .venv has no ansible, so make test-unit runs them in a
    # second pass with .venv-ctl's Python and EDGE_TEST_CTL=1, where a missing ansible fails.
    if importlib.util.find_spec("ansible") is None and not os.environ.get("EDGE_TEST_CTL"):
        skip = pytest.mark.skip(reason="imports ansible: make test-unit runs it with .venv-ctl")
        for item in items:
            if item.get_closest_marker("ctl") is not None:
                item.add_marker(skip)
    # last: a lab_down test leaves fresh hosts (lab/fleet.py down wipes every host's tree)
    items.sort(key=lambda item: item.get_closest_marker("lab_down") is not None)


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


@pytest.fixture()
def fakes_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fake hailo_platform and hailo_sdk_client importable for this test only (verified
    against a fake, not on hardware); their modules are forgotten afterwards (fake_imports.py)."""
    with fake_imports.importable(monkeypatch) as fakes:
        yield fakes


@pytest.fixture(scope="session")
def edgeinfer_onnx() -> Path:
    """The original EdgeInfer encoder ONNX (read from ../shared; never copied into the repo)."""
    if not EDGEINFER_ONNX.is_file():
        pytest.skip(
            f"original EdgeInfer ONNX not present at {EDGEINFER_ONNX} (only on dev machines)"
        )
    return EDGEINFER_ONNX

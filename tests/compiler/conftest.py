"""Fixtures of the compiler tests: the small DFC artifact and the fake DFC (verified against a
fake, not on hardware). Helpers that are not fixtures live in dfc_artifact.py."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import dfc_artifact
import pytest


@pytest.fixture()
def art(tmp_path: Path) -> Path:
    """A fresh, writable dfc_artifact folder for this test (~1 s, no torch)."""
    return dfc_artifact.build_artifact(tmp_path / "artifacts")


@pytest.fixture()
def fake_dfc(fakes_on_path: Path) -> Path:
    """The fake hailo_sdk_client importable for this test only (tests/conftest.py)."""
    return fakes_on_path


@pytest.fixture()
def sdk(fakes_on_path: Path) -> ModuleType:
    """The fake hailo_sdk_client module itself."""
    import hailo_sdk_client

    return hailo_sdk_client

"""The strict fakes of HailoRT and the DFC (tests/fakes/hailo_platform, hailo_sdk_client) made
importable for one test or one build, and unimportable again afterwards.

Not on pytest.ini's pythonpath on purpose: everywhere else the suite runs as a machine without
HailoRT or the DFC does (the daemon falls back to ONNX, the compiler builds no HEF). Tests ask for
the `fakes_on_path` fixture (tests/conftest.py); session fixtures use `importable` with a
MonkeyPatch of their own. A test that runs a fake in a child process passes FAKES in that
process's PYTHONPATH instead. On sys.path as `fake_imports` through pytest.ini's pythonpath.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FAKES = Path(__file__).resolve().parent / "fakes"
PACKAGES = ("hailo_platform", "hailo_sdk_client")


def purge(prefix: str) -> None:
    """Forget a package and its submodules, so the next import reads it again from sys.path."""
    for m in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[m]


@contextmanager
def importable(mp: pytest.MonkeyPatch, packages: tuple[str, ...] = PACKAGES) -> Iterator[Path]:
    """FAKES first on sys.path and `packages` not imported yet; afterwards their modules are
    forgotten and `mp`'s undo restores sys.path. A fixture that builds with the fake DFC while a
    test holds the fake hailo_platform names only hailo_sdk_client, leaving the test's module."""
    mp.syspath_prepend(str(FAKES))
    for name in packages:
        purge(name)
    try:
        yield FAKES
    finally:
        for name in packages:
            purge(name)

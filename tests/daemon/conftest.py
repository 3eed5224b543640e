"""Fixtures for the daemon tests: artifacts (real tiny_artifact, + fake HEF), app, live server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import FAKES, Live, copy_artifact, purge


@pytest.fixture(scope="session")
def art(tiny_artifact: Path) -> Path:
    return tiny_artifact


@pytest.fixture(scope="session")
def hailo_art(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_artifact + encoder.hef from the FAKE DFC (verified against a fake, not hardware)."""
    dst = copy_artifact(tiny_artifact, tmp_path_factory.mktemp("hailo") / "artifact")
    sys.path.insert(0, str(FAKES))
    try:
        from edge_compiler.hef import dfc

        res = dfc.compile_hef(
            dst, dfc.HefOptions(work_dir=dst.parent / "work"), log=lambda _m: None
        )
        assert res.status == "built", res.reason
    finally:
        sys.path.remove(str(FAKES))
        purge("hailo_sdk_client")
    return dst


@pytest.fixture()
def fake_hailo(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Put the fake hailo_platform on sys.path; release the daemon's VDevice afterwards."""
    monkeypatch.syspath_prepend(str(FAKES))
    purge("hailo_platform")
    purge("hailo_sdk_client")
    import hailo_platform

    hailo_platform.CALLS.clear()
    yield hailo_platform
    from hailo_inference.backends.hailo import VDEVICE

    VDEVICE.release()
    purge("hailo_platform")
    purge("hailo_sdk_client")


@pytest.fixture()
def live(tmp_path: Path) -> Iterator:
    started: list[Live] = []

    def start(artifact: Path, wait: bool = True, **kw: object) -> Live:
        d = Live(tmp_path, artifact, **kw)  # type: ignore[arg-type]
        started.append(d)
        if wait:
            d.wait_ready()
        return d

    yield start
    for d in started:
        d.stop()

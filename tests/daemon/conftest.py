"""Fixtures for the daemon tests: artifacts (real tiny_artifact, + fake HEF), app, live server."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import fake_imports
import pytest
from daemon_helpers import FAKES, Live, copy_artifact, make_app


@pytest.fixture(scope="session")
def art(tiny_artifact: Path) -> Path:
    return tiny_artifact


@pytest.fixture(scope="session")
def hailo_art(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_artifact + encoder.hef from the FAKE DFC (verified against a fake, not hardware),
    built as the fleet builds it: with the DFC paired with the HailoRT the fleet pins (the fake
    hailo_platform runs that HailoRT by default; both read roles/hailort/defaults/main.yml)."""
    from edge_artifact import hailo_pairs

    runtime = hailo_pairs.minor(fake_hailort_version())
    pair = next(p for p in hailo_pairs.pairs() if hailo_pairs.minor(p.hailort) == runtime)
    return build_hailo_art(tiny_artifact, tmp_path_factory, f"{pair.dfc}.0+fake")


@pytest.fixture(scope="session")
def hailo_art_dfc_3_33(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_artifact + a fake HEF from DFC 3.33 (HailoRT 4.23's pair; header version 3)."""
    return build_hailo_art(tiny_artifact, tmp_path_factory, "3.33.0+fake")


def build_hailo_art(tiny: Path, factory: pytest.TempPathFactory, dfc_version: str) -> Path:
    dst = copy_artifact(tiny, factory.mktemp("hailo") / "artifact")
    # only the DFC: a test may hold the fake hailo_platform (fake_hailo) while this builds
    with pytest.MonkeyPatch.context() as mp, fake_imports.importable(mp, ("hailo_sdk_client",)):
        mp.setenv("FAKE_DFC_VERSION", dfc_version)  # read by the fake DFC at import
        from edge_compiler.hef import dfc

        res = dfc.compile_hef(
            dst, dfc.HefOptions(work_dir=dst.parent / "work"), log=lambda _m: None
        )
        assert res.status == "built", res.reason
    return dst


def fake_hailort_version() -> str:
    """The fake hailo_platform's default version (tests/fakes/hailo_platform/_version.py), read
    without importing the fake package (it must not stay importable for the non-fake tests)."""
    path = FAKES / "hailo_platform" / "_version.py"
    spec = importlib.util.spec_from_file_location("_fake_hailort_version", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.default())


@pytest.fixture()
def fake_hailo(fakes_on_path: Path) -> Iterator[object]:
    """The fake hailo_platform, imported with no call recorded yet; the daemon's VDevice is
    released afterwards (then fakes_on_path forgets the fake)."""
    import hailo_platform

    hailo_platform.CALLS.clear()
    yield hailo_platform
    from hailo_inference.backends.hailo import VDEVICE

    VDEVICE.release()


@pytest.fixture(scope="module")
def app_state(tiny_artifact: Path) -> tuple:
    """(flask app, state) serving tiny_artifact on the onnx backend, one per module."""
    return make_app(tiny_artifact, "onnx")


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

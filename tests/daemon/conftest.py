"""Fixtures for the daemon tests: artifacts (real tiny_artifact, + fake HEF), app, live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fake_imports
import pytest
from daemon_helpers import Live, copy_artifact, make_app, paired_fake_dfc


@pytest.fixture(scope="session")
def art(tiny_artifact: Path) -> Path:
    return tiny_artifact


@pytest.fixture(scope="session")
def hailo_art(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_artifact + encoder.hef from the FAKE DFC (verified against a fake, not hardware),
    built as the fleet builds it: with the DFC paired with the HailoRT the fleet pins (the fake
    hailo_platform runs that HailoRT by default; both read roles/hailort/defaults/main.yml)."""
    return build_hailo_art(tiny_artifact, tmp_path_factory, paired_fake_dfc())


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

"""Each host loads the HEF for its device (issue 27 item 2) — verified against a fake, not on
hardware.

The daemon reads the device's architecture from `Device.control.identify().device_architecture`
(pyhailort.py@v4.20.0 Control.identify, line 2096; a DeviceArchitectureTypes IntEnum, lines
1543-1565) and picks the artifact's HEF by HailoRT's rule (device_internal.cpp@v4.20.0
DeviceBase::is_hef_compatible, lines 716-722): a Hailo-8 takes its hailo8 HEF, else the hailo8l
one (HailoRT then warns "... lower performance", lines 614-617); a Hailo-8L runs only hailo8l and
refuses a hailo8-only artifact before HailoRT is asked, naming the compile command. The fake
HailoRT (tests/fakes/hailo_platform) models both sides, with 26 on 4.20 and 93 from 4.21 for the
refusal (device_internal.cpp line 604 per tag).
"""

from __future__ import annotations

import re
from pathlib import Path

import fake_imports
import pytest
from daemon_helpers import copy_artifact, paired_fake_dfc
from edge_artifact.sections import HAILO8L_ON_HAILO8
from hailo_inference.backends.hailo import explain
from hailo_inference.config import ModelConfig
from hailo_inference.logs import get_logger
from hailo_inference.metrics import Metrics
from hailo_inference.service import LoadError, ModelService
from structlog.testing import capture_logs

pytestmark = pytest.mark.fake_hailo


def build(tiny: Path, dest: Path, archs: tuple[str, ...]) -> Path:
    """tiny_artifact + one fake HEF per architecture, from the fake DFC paired with the fake
    HailoRT's default version."""
    dst = copy_artifact(tiny, dest / "artifact")
    # only the DFC: a test may hold the fake hailo_platform (fake_hailo) while this builds
    with pytest.MonkeyPatch.context() as mp, fake_imports.importable(mp, ("hailo_sdk_client",)):
        mp.setenv("FAKE_DFC_VERSION", paired_fake_dfc())  # read by the fake DFC at import
        from edge_compiler.hef import dfc

        for arch in archs:
            opts = dfc.HefOptions(hw_arch=arch, work_dir=dest / "work")
            res = dfc.compile_hef(dst, opts, log=lambda _m: None)
            assert res.status == "built", res.reason
    return dst


@pytest.fixture(scope="module")
def only_hailo8(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tiny_artifact, tmp_path_factory.mktemp("h8"), ("hailo8",))


@pytest.fixture(scope="module")
def only_hailo8l(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tiny_artifact, tmp_path_factory.mktemp("h8l"), ("hailo8l",))


@pytest.fixture(scope="module")
def both(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tiny_artifact, tmp_path_factory.mktemp("both"), ("hailo8l", "hailo8"))


def start(artifact: Path, **kw) -> ModelService:
    cfg = ModelConfig(artifact=str(artifact), backend="hailo", **kw)
    return ModelService(cfg, Metrics(), get_logger()).start()


def test_hailo8_device_takes_the_hailo8_hef_verified_against_fake(both, fake_hailo, monkeypatch):
    monkeypatch.setenv("FAKE_HAILO_ARCH", "HAILO8")
    with capture_logs() as logs:
        s = start(both, fallback_to_onnx=False)
    d = s.backend.describe()
    assert d["file"] == "encoder.hailo8.hef" and d["device_arch"] == "hailo8", d
    assert s.golden.ok
    assert fake_hailo.LOG == []  # HailoRT warns only for a hailo8l HEF on a Hailo-8
    assert not [e for e in logs if e["event"] == "hef_lower_performance"]


def test_hailo8_device_takes_the_hailo8l_hef_with_the_warning_verified_against_fake(
    only_hailo8l, fake_hailo, monkeypatch
):
    monkeypatch.setenv("FAKE_HAILO_ARCH", "HAILO8")
    with capture_logs() as logs:
        s = start(only_hailo8l, fallback_to_onnx=False)
    assert s.backend.describe()["file"] == "encoder.hailo8l.hef" and s.golden.ok
    assert [f"[HailoRT] [warning] {HAILO8L_ON_HAILO8}"] == fake_hailo.LOG
    (warned,) = [e for e in logs if e["event"] == "hef_lower_performance"]
    assert warned["hw_arch"] == "hailo8l" and warned["device_arch"] == "hailo8"
    assert "compile.yml -l gpusrv" in warned["detail"]


def test_hailo8l_device_takes_the_hailo8l_hef_of_two_verified_against_fake(
    both, fake_hailo, monkeypatch
):
    monkeypatch.setenv("FAKE_HAILO_ARCH", "HAILO8L")
    s = start(both, fallback_to_onnx=False)
    assert s.backend.describe()["file"] == "encoder.hailo8l.hef" and s.golden.ok
    assert fake_hailo.LOG == []


def test_hailo8l_device_refuses_a_hailo8_only_artifact_verified_against_fake(
    only_hailo8, fake_hailo, monkeypatch
):
    monkeypatch.setenv("FAKE_HAILO_ARCH", "HAILO8L")
    with pytest.raises(LoadError) as err:
        start(only_hailo8, fallback_to_onnx=False)
    msg = str(err.value)
    assert "carries HEFs for hailo8 only" in msg and "hailo8l device runs only hailo8l" in msg
    assert """ansible-playbook compile.yml -l gpusrv -e '{"hailo_compiler_hw_archs": """ in msg
    assert "create_infer_model" not in fake_hailo.CALLS  # refused before HailoRT is asked
    s = start(only_hailo8, fallback_to_onnx=True)
    assert s.backend.kind == "onnx" and "hailo8 only" in s.fallback_info["reason"]


@pytest.mark.parametrize(
    ("hailort", "status"),
    [("4.20.0", r"^HailoRTInvalidHEFException: Invalid HEF.*compiled for another chip"),  # 26
     ("4.23.0", r"^HailoRTHEFNotCompatibleWithDevice: HEF file is not.*another hw_arch")],  # 93
)  # fmt: skip
def test_fake_hailort_itself_refuses_hailo8_hef_on_hailo8l_verified_against_fake(
    only_hailo8, fake_hailo, monkeypatch, hailort, status
):
    """What HailoRT does if asked anyway (device_internal.cpp line 604: 26 on v4.20.0, 93 from
    v4.21.0), and that the daemon's hint names the chip either way."""
    monkeypatch.setattr(fake_hailo, "__version__", hailort)
    monkeypatch.setenv("FAKE_HAILO_ARCH", "HAILO8L")
    hp = fake_hailo
    vd = hp.VDevice(hp.VDevice.create_params())
    try:
        im = vd.create_infer_model(str(only_hailo8 / "encoder.hailo8.hef"))
        with pytest.raises(hp.HailoRTException) as err:
            im.configure()
    finally:
        vd.release()
    text = explain(err.value)  # the daemon's line: exception, status text and the hint
    assert re.search(status, text), text
    assert "Hailo-8L runs only hailo8l" in text

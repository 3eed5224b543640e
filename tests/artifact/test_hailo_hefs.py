"""One HEF per device architecture in an artifact (issue 27 item 2): the manifest's typed
backends.hailo section (edge_artifact.sections.HailoBackend), the choice of HEF for a device and
`python -m edge_artifact check-arch`. The rule is HailoRT's device_internal.cpp is_hef_compatible
(hailo-ai/hailort v4.20.0 lines 716-722); everything here is verified against a fake, not on
hardware."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from edge_artifact import ArtifactError, Manifest
from edge_artifact.sections import (
    HAILO8L_ON_HAILO8,
    HailoBackend,
    HailoHef,
    HefChoiceError,
    device_arch,
)

ARTIFACT_SRC = Path(__file__).resolve().parents[2] / "artifact"


def hef(arch: str, cosine: float) -> HailoHef:
    entry = {"dfc_version": "3.30.0+fake", "hailort_min_version": "4.20", "layout": "NHWC"}
    return HailoHef(arch, f"encoder.{arch}.hef", entry, {"min_cosine": cosine})


def both() -> HailoBackend:
    return HailoBackend({}).with_hef(hef("hailo8", 0.998)).with_hef(hef("hailo8l", 0.995))


def test_two_hefs_round_trip_each_with_its_own_parity_verified_against_fake() -> None:
    m = Manifest({"backends": {"onnx": {}}, "parity": {"onnx": {}}}).updated(
        both().manifest_changes()
    )
    back = m.hailo
    assert back is not None and back.archs == ("hailo8l", "hailo8")
    assert back.hefs["hailo8"].parity == {"min_cosine": 0.998}
    assert back.hefs["hailo8l"].parity == {"min_cosine": 0.995}
    assert back == both()
    # the primary (runs everywhere) stays at the top, as single-HEF readers expect
    assert m["backends"]["hailo"]["file"] == "encoder.hailo8l.hef"
    assert m["backends"]["hailo"]["hw_arch"] == "hailo8l"
    assert m["parity"]["hailo"] == {"min_cosine": 0.995}
    assert m["backends"]["onnx"] == {}


def test_single_hef_manifest_from_before_reads_as_one_hef_verified_against_fake() -> None:
    hb = {"file": "encoder.hef", "hw_arch": "hailo8", "dfc_version": "3.33.0"}
    old = {"backends": {"hailo": hb}, "parity": {"hailo": {"min_cosine": 0.997}}}
    back = Manifest(old).hailo
    assert back is not None and back.archs == ("hailo8",)
    assert back.primary.file == "encoder.hef" and back.primary.parity == {"min_cosine": 0.997}


def test_manifest_without_hw_arch_says_how_to_rebuild_verified_against_fake() -> None:
    with pytest.raises(ArtifactError, match=r"ansible-playbook compile.yml -l gpusrv -e"):
        _ = Manifest({"backends": {"hailo": {"file": "encoder.hef"}}}).hailo


@pytest.mark.parametrize("given", ["HAILO8L", "hailo8l", " HAILO8L\n"])
def test_device_arch_reads_hailortcli_and_pyhailort_names_verified_against_fake(given) -> None:
    assert device_arch(given) == "hailo8l"
    with pytest.raises(ValueError, match=r"HAILO8 \| HAILO8L"):
        device_arch("HAILO15H")


def test_hailo8_device_takes_its_own_hef_verified_against_fake() -> None:
    choice = both().for_device("HAILO8")
    assert choice.hef.hw_arch == "hailo8" and choice.warning == ""


def test_hailo8_device_takes_hailo8l_hef_with_the_warning_verified_against_fake() -> None:
    only_l = HailoBackend({"hailo8l": hef("hailo8l", 0.99)})
    choice = only_l.for_device("HAILO8")
    assert choice.hef.file == "encoder.hailo8l.hef" and choice.warning == HAILO8L_ON_HAILO8
    assert both().for_device("HAILO8L").hef.hw_arch == "hailo8l"


def test_hailo8l_device_refuses_a_hailo8_only_artifact_verified_against_fake() -> None:
    only_8 = HailoBackend({"hailo8": hef("hailo8", 0.99)})
    with pytest.raises(HefChoiceError) as err:
        only_8.for_device("HAILO8L")
    msg = str(err.value)
    assert "HEFs for hailo8 only" in msg and "hailo8l device runs only hailo8l" in msg
    want = """-e '{"hailo_compiler_hw_archs": ["hailo8l", "hailo8"]}'"""
    assert "ansible-playbook compile.yml -l gpusrv " + want in msg


def check_arch(hailo: dict, arch: str) -> subprocess.CompletedProcess:
    code = "import runpy; runpy.run_module('edge_artifact', run_name='__main__')"
    args = ["check-arch", "--hailo-json", json.dumps(hailo), "--device-arch", arch]
    env = dict(os.environ, PYTHONPATH=str(ARTIFACT_SRC))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip


def test_check_arch_command_verified_against_fake() -> None:
    only_8 = HailoBackend({"hailo8": hef("hailo8", 0.99)}).manifest_changes()
    refused = check_arch(only_8["backends"]["hailo"], "HAILO8L")
    assert refused.returncode == 1, refused.stderr
    verdict = json.loads(refused.stdout)
    assert not verdict["ok"] and verdict["archs"] == ["hailo8"]
    assert "compile.yml -l gpusrv" in refused.stderr
    ok = check_arch(both().manifest_changes()["backends"]["hailo"], "HAILO8")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["file"] == "encoder.hailo8.hef"

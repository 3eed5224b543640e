"""The hailo backend refuses a HEF this host's HailoRT cannot load, and says what to upgrade —
verified against a fake, not on hardware.

The manifest records the HailoRT versions that load the HEF (backends.hailo.hailort_min_version,
from edge_artifact/hailo_pairs.json at compile time); tests/fakes/hailo_platform refuses a HEF
header newer than its version reads, as hailort hef.cpp Hef::Impl::parse_hef_file does
(v4.20.0: headers 0-2, else HAILO_INVALID_HEF; v4.21.0+: 0-3, else HAILO_HEF_NOT_SUPPORTED).
"""

from __future__ import annotations

import pytest
from daemon_helpers import copy_artifact, service
from edge_artifact import Manifest
from hailo_inference.service import LoadError

pytestmark = pytest.mark.fake_hailo


def test_hailort_older_than_the_hef_names_the_upgrade_verified_against_fake(
    fake_hailo, hailo_art_dfc_3_33, monkeypatch
):
    """The HEF comes from DFC 3.33 (HailoRT >= 4.23); the host runs 4.20. Fails on the old
    backend, which only passed on HailoRT's own HAILO_INVALID_HEF."""
    hailo_art = hailo_art_dfc_3_33
    monkeypatch.setattr(fake_hailo, "__version__", "4.20.0")
    with pytest.raises(
        LoadError, match=r"needs HailoRT >= 4\.23.*HailoRT 4\.20\.0: upgrade hailort"
    ):
        service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    assert "VDevice" not in fake_hailo.CALLS  # refused before the device was opened
    s = service(hailo_art, backend="hailo", fallback_to_onnx=True).start()
    assert s.backend.kind == "onnx" and "upgrade hailort" in s.fallback_info["reason"]


def test_pre_table_manifest_is_refused_by_the_runtime_with_a_hint_verified_against_fake(
    fake_hailo, hailo_art_dfc_3_33, tmp_path, monkeypatch
):
    """A manifest without the HailoRT range still loads where it can; where the runtime is too
    old, the fake HailoRT 4.20 refuses the header (HAILO_INVALID_HEF) and the hint names the DFC."""
    art = copy_artifact(hailo_art_dfc_3_33, tmp_path / "old")
    data = Manifest.read(art).as_dict()
    for key in ("hailort_min_version", "hailort_below_version", "hailort_pair_source"):
        data["backends"]["hailo"].pop(key)
    data["backends"]["hailo"].pop("hefs")  # and one HEF, as manifests before issue 27 item 2
    Manifest(data).write(art)
    monkeypatch.setattr(fake_hailo, "__version__", "4.23.0")  # the DFC's own HailoRT loads it
    assert service(art, backend="hailo", fallback_to_onnx=False).start().backend.kind == "hailo"
    from hailo_inference.backends.hailo import VDEVICE

    VDEVICE.release()
    monkeypatch.setattr(fake_hailo, "__version__", "4.20.0")
    with pytest.raises(LoadError, match=r"HailoRTInvalidHEFException.*newer DFC.*hailo_pairs"):
        service(art, backend="hailo", fallback_to_onnx=False).start()

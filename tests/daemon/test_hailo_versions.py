"""The fake HailoRT is the release the fleet runs, with that release's status codes — verified
against a fake, not on hardware.

tests/fakes/hailo_platform takes its default version from hailort_version in
roles/hailort/defaults/main.yml (one source); status codes follow hailo-ai/hailort per tag:
v4.20.0's hailort.h ends at 90, so a HEF for the wrong chip is HAILO_INVALID_HEF (26,
device_internal.cpp line 604); 92 and 93 exist from v4.21.0.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from daemon_helpers import ROOT, purge

pytestmark = pytest.mark.fake_hailo


def test_fake_runs_the_hailort_the_fleet_pins_verified_against_fake(monkeypatch, fakes_on_path):
    """Fails on the old fake, which ran 4.23.0 while the role pinned 4.20.0."""
    pin = yaml.safe_load((ROOT / "roles/hailort/defaults/main.yml").read_text())["hailort_version"]
    monkeypatch.delenv("FAKE_HAILORT_VERSION", raising=False)
    import hailo_platform

    assert hailo_platform.__version__ == pin
    monkeypatch.setenv("FAKE_HAILORT_VERSION", "4.23.0")
    purge("hailo_platform")
    import hailo_platform as again

    assert again.__version__ == "4.23.0"


def test_status_codes_exist_per_release_verified_against_fake(fake_hailo, monkeypatch):
    """92 and 93 are new in v4.21.0's hailort.h (lines 181-182): the fake cannot raise them as
    4.20, where the wrong chip is 26 (HailoRTInvalidHEFException)."""
    from hailo_platform import _errors as E

    monkeypatch.setattr(fake_hailo, "__version__", "4.20.0")
    for code in (92, 93):
        with pytest.raises(AssertionError, match=f"status {code} does not exist before"):
            E.failed(code)
    assert type(E.failed(26)).__name__ == "HailoRTInvalidHEFException"
    monkeypatch.setattr(fake_hailo, "__version__", "4.21.0")
    assert str(E.failed(92)) == "libhailort failed with error: 92 (HAILO_HEF_NOT_SUPPORTED)"
    assert type(E.failed(93)).__name__ == "HailoRTHEFNotCompatibleWithDevice"


def test_create_bindings_takes_input_buffers_first_verified_against_fake(fake_hailo, hailo_art):
    """pyhailort.py create_bindings(self, input_buffers=None, output_buffers=None) (v4.20.0 line
    3173): a positional dict is the inputs. Fails on the old fake (output_buffers only)."""
    hp = fake_hailo
    params = hp.VDevice.create_params()
    params.scheduling_algorithm = hp.HailoSchedulingAlgorithm.ROUND_ROBIN
    vd = hp.VDevice(params)
    try:
        im = vd.create_infer_model(str(hailo_art / "encoder.hailo8l.hef"))
        im.input().set_format_type(hp.FormatType.FLOAT32)
        im.output().set_format_type(hp.FormatType.FLOAT32)
        with im.configure() as cim:
            x = np.ones(im.input().shape, np.float32)
            y = np.empty(im.output().shape, np.float32)
            b = cim.create_bindings({im.input_names[0]: x}, {im.output_names[0]: y})
            assert b.input().get_buffer() is x and b.output().get_buffer() is y
            with pytest.raises(hp.HailoRTException, match="Item not found"):  # 61
                cim.create_bindings(input_buffers={"no_such_input": x})
    finally:
        vd.release()

"""The daemon's unit and hailort.service's socket (issue 27 item 1). Verified against a fake, not
on hardware.

HailoRT's service listens on /tmp/hailort_uds.sock (hailort/rpc/rpc_definitions.hpp@v4.20.0 line
23, the same path from v4.17.0 to v4.23.0) and PrivateTmp=yes gives a unit its own /tmp
(systemd.exec(5)): with it every worker of a multi-process hailo daemon failed with
HAILO_RPC_FAILED (77). The lab shows it under systemd (tests/deploy/test_hailort_uds_lab.py);
here the rendered unit is read.
"""

from __future__ import annotations

import pytest
from test_service_unit import directives, render

MULTI = {"edge_has_accelerator": True, "hailo_inference_backend": "hailo"}


@pytest.mark.parametrize("workers", [2, 4])
def test_multi_process_hailo_unit_shares_the_hosts_tmp_verified_against_fake(workers: int) -> None:
    d = directives(render(**MULTI, hailo_inference_workers=workers))
    assert d.get("PrivateTmp", ["no"]) == ["no"], d.get("PrivateTmp")
    assert "hailort.service" in d["After"] and "hailort.service" in d["Wants"]
    # every other hardening line stays: /tmp is read-only to the daemon through ProtectSystem
    assert d["ProtectSystem"] == ["strict"] and d["NoNewPrivileges"] == ["yes"]
    assert d["CapabilityBoundingSet"] == [""] and d["DevicePolicy"] == ["closed"]


@pytest.mark.parametrize(
    "over",
    [
        {**MULTI, "hailo_inference_workers": 1},  # one process opens the device itself
        {"edge_has_accelerator": False, "hailo_inference_workers": 2},  # onnx: no service
        {**MULTI, "hailo_inference_backend": "onnx", "hailo_inference_workers": 2},
    ],
)
def test_other_units_keep_a_private_tmp(over: dict[str, object]) -> None:
    d = directives(render(**over))
    assert d["PrivateTmp"] == ["yes"]
    assert "hailort.service" not in " ".join(d.get("After", []))

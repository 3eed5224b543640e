"""verify.yml's pure parts: percentiles, the host report, the controller's SLO judgement.

The HailoRT outputs parsed here are the documented formats (`hailortcli fw-control identify`,
shared/reference/hailo.md section 3); parsing them is verified against a fake, not on hardware.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "roles" / "hailo_verify" / "files"
SLO = {"p95_ms": 50.0, "min_rate_per_s": 20.0, "min_success_rate": 0.995}


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, FILES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


host = _module("verify_host")
summary = _module("verify_summary")

IDENTIFY = """Executing on device: 0000:01:00.0
Identifying board
Control Protocol Version: 2
Firmware Version: 4.20.0 (release,app,extended context switch buffer)
Logger Version: 0
Board Name: Hailo-8
Device Architecture: HAILO8L
Serial Number: HLDDLBB241601635
"""


@pytest.mark.parametrize("q", [0, 50, 95, 99, 100])
def test_percentile_matches_numpy_linear(q: float) -> None:
    values = list(np.random.default_rng(3).gamma(2.0, 3.0, size=257))
    assert host.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_none() -> None:
    assert host.percentile([], 95) is None


def test_identify_output_gives_firmware_and_architecture_verified_against_fake() -> None:
    assert host.parse_identify(IDENTIFY) == {
        "firmware_version": "4.20.0",
        "architecture": "HAILO8L",
    }
    assert host.parse_identify("hailortcli: not installed") == {
        "firmware_version": None,
        "architecture": None,
    }
    assert host.parse_version("HailoRT-CLI version 4.20.0") == "4.20.0"


def test_temperatures_come_from_the_daemons_metrics() -> None:
    text = (
        "# HELP edge_sidecar_device_temperature_celsius Hailo chip temperature\n"
        'edge_sidecar_device_temperature_celsius{sensor="0_ts0"} 48.5\n'
        'edge_sidecar_device_temperature_celsius{sensor="0_ts1"} 49.0\n'
        "edge_sidecar_ready 1.0\n"
    )
    assert host.parse_temperatures(text) == {"0_ts0": 48.5, "0_ts1": 49.0}


def test_load_summary_counts_failures_and_rates() -> None:
    s = host.load_summary([10.0] * 199, ["http 503"], 200, 10.0, 10.2)
    assert (s["ok"], s["failed"], s["errors"]) == (199, 1, {"http 503": 1})
    assert s["success_rate"] == pytest.approx(0.995)
    assert s["offered_rate_per_s"] == 20.0
    assert s["p95_ms"] == 10.0


def test_report_says_plainly_when_no_accelerator_was_present() -> None:
    r = host.merge_report("pi-lab-1", {"golden": {"ok": True, "accelerator_present": False}})
    assert r["statement"].startswith("no accelerator present")
    r = host.merge_report(
        "pi1", {"golden": {"accelerator_present": True, "accelerator_used": True}}
    )
    assert r["statement"].startswith("accelerator present: ")
    r = host.merge_report(
        "pi2", {"golden": {"accelerator_present": True, "why_not_hailo": "no HEF"}}
    )
    assert "NOT used" in r["statement"] and "no HEF" in r["statement"]


def _report(p95: float = 12.0, rate: float = 20.0, ok_rate: float = 1.0, **golden) -> dict:
    g = {"ok": True, "backend": "onnx", "accelerator_present": False, **golden}
    r = host.merge_report("h", {"golden": g, "load": {}})
    r["load"] = {"p95_ms": p95, "offered_rate_per_s": rate, "success_rate": ok_rate}
    return r


@pytest.mark.parametrize(
    ("kw", "failed"),
    [
        ({}, set()),
        ({"p95": 49.9}, set()),
        ({"p95": 50.0}, {"p95"}),  # p95 < 50 ms, strictly
        ({"rate": 19.9}, {"rate"}),
        ({"ok_rate": 0.995}, set()),
        ({"ok_rate": 0.9949}, {"success"}),
        ({"ok": False}, {"golden"}),
    ],
)
def test_slo_judgement(kw: dict, failed: set) -> None:
    golden_ok = kw.pop("ok", True)
    row = summary.judge(_report(**kw, ok=golden_ok), SLO, expect_accelerator=False)
    assert {k for k, v in row["checks"].items() if not v["ok"]} == failed
    assert row["verdict"] == ("FAIL" if failed else "PASS")


def test_host_declared_with_accelerator_fails_when_it_ran_on_the_cpu() -> None:
    row = summary.judge(_report(), SLO, expect_accelerator=True)
    assert row["verdict"] == "FAIL" and not row["checks"]["accelerator"]["ok"]
    used = _report(accelerator_present=True, accelerator_used=True)
    assert summary.judge(used, SLO, expect_accelerator=True)["verdict"] == "PASS"


def test_summary_files_table_and_exit_code(tmp_path: Path, capsys) -> None:
    (tmp_path / "pi1.json").write_text(json.dumps(_report()))
    args = ["--dir", str(tmp_path), "--slo", json.dumps(SLO), "--hosts", "pi1"]
    assert summary.main(args) == 0
    assert "| pi1 | PASS | none (onnx) |" in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["passed"] is True
    assert "VERIFY PASSED" in capsys.readouterr().out
    assert summary.main([*args, "pi2"]) == 1  # a host without a report fails the run
    rows = json.loads((tmp_path / "summary.json").read_text())["hosts"]
    assert rows[1]["verdict"] == "FAIL" and "no report" in rows[1]["statement"]


def test_role_argument_specs_follow_the_project_rules() -> None:
    """The same checks tests/roles/test_argument_specs.py runs over the other roles."""
    import test_argument_specs as specs

    specs.test_defaults_match_argument_specs("hailo_verify")
    specs.test_spec_defaults_equal_role_defaults("hailo_verify")
    specs.test_every_option_is_described_and_typed("hailo_verify")
    defaults = specs._load(ROOT / "roles" / "hailo_verify" / "defaults" / "main.yml")
    assert all(k.startswith("hailo_verify_") for k in defaults)

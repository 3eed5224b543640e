"""verify.yml's pure parts: percentiles, the host report, the controller's SLO judgement.

The HailoRT outputs parsed here are the documented formats (`hailortcli fw-control identify`,
shared/reference/hailo.md section 3); parsing them is verified against a fake, not on hardware.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time
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


def _report(
    p95: float = 12.0,
    rate: float = 20.0,
    ok_rate: float = 1.0,
    served: str | None = "",
    stack: dict | None = None,
    **golden,
) -> dict:
    """A host report; the load is served on the golden check's backend unless `served` says."""
    g = {"ok": True, "backend": "onnx", "accelerator_present": False, **golden}
    load = {"p95_ms": p95, "offered_rate_per_s": rate, "success_rate": ok_rate}
    load["served_backend"] = g["backend"] if served == "" else served
    return host.merge_report("h", {"golden": g, "load": load, "stack": stack or {}})


LOADED_DRIVER = {"driver_version": "4.20.0", "driver_installed_version": "4.20.0"}


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
    used = _report(
        accelerator_present=True, accelerator_used=True, backend="hailo", stack=LOADED_DRIVER
    )
    assert summary.judge(used, SLO, expect_accelerator=True)["verdict"] == "PASS"


def test_load_served_on_onnx_is_not_certified_as_hailo_verified_against_fake() -> None:
    """Golden on the Hailo device, then the daemon fell back to onnx: the load's latency is the
    CPU's. It was PASS with "load ran on the Hailo device" (issue 27 item 6)."""
    r = _report(
        accelerator_present=True,
        accelerator_used=True,
        backend="hailo",
        served="onnx",
        stack=LOADED_DRIVER,
    )
    assert "load ran on the Hailo device" not in r["statement"]
    assert "served on onnx (CPU fallback)" in r["statement"]
    for declared in (True, False):  # an undeclared accelerator is judged on what golden used
        row = summary.judge(r, SLO, expect_accelerator=declared)
        assert row["verdict"] == "FAIL", row
        served = row["checks"]["served"]
        assert not served["ok"] and "CPU fallback" in served["detail"], served
    assert "hailo golden, load on onnx" in summary.judge(r, SLO, True)["accelerator"]


@pytest.mark.parametrize(
    ("workers", "served", "ok"),
    [
        (["hailo", "hailo", "hailo"], "hailo", True),
        (["hailo", "onnx"], "mixed: hailo, onnx", False),  # one worker fell back to the CPU
    ],
)
def test_every_worker_must_serve_on_the_judged_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers, served, ok
) -> None:
    """/healthz answers for one worker; /metrics (the daemon's own Metrics, multiprocess mode,
    one process per worker) names every worker's backend. Verified against a fake, not on
    hardware."""
    from test_health_gate_workers import MODEL, scrape

    backends = host.serving_backends(scrape(tmp_path, monkeypatch, workers), MODEL)
    assert host.served_backend(backends) == served
    r = _report(accelerator_present=True, accelerator_used=True, backend="hailo", served=served)
    assert summary.judge(r, SLO, expect_accelerator=False)["checks"]["served"]["ok"] is ok
    assert host.served_backend([]) is None  # /metrics unreadable: not judged as served
    none = _report(accelerator_present=True, accelerator_used=True, backend="hailo", served=None)
    assert not summary.judge(none, SLO, expect_accelerator=False)["checks"]["served"]["ok"]


def _fake_tools(monkeypatch: pytest.MonkeyPatch, modinfo: str | None) -> None:
    """hailortcli and modinfo as the host would answer; modinfo reads the .ko on disk."""

    def run(argv: list[str]) -> tuple[int, str, str]:
        if argv[0] == "modinfo":
            return (0, modinfo, "") if modinfo else (1, "", "modinfo: hailo_pci not found")
        if argv[1:] == ["--version"]:
            return 0, "HailoRT-CLI version 4.20.0", ""
        return 0, IDENTIFY, ""

    monkeypatch.setattr(host, "_run", run)


def _sysfs(root: Path, version: str | None) -> Path:
    """A fake /sys: module/hailo_pci/version exists only while the module is loaded."""
    if version is not None:
        (root / "module" / "hailo_pci").mkdir(parents=True)
        (root / "module" / "hailo_pci" / "version").write_text(version + "\n")
    return root


@pytest.mark.parametrize(
    ("loaded", "installed", "finding"),
    [
        ("4.20.0", "4.20.0", None),
        ("4.19.0", "4.20.0", "4.19.0 is loaded but 4.20.0 is installed on disk: reboot"),
        (None, "4.20.0", "hailo_pci not loaded"),
        (None, None, "hailo_pci not loaded"),
    ],
)
def test_driver_version_is_the_loaded_module_not_the_file_on_disk_verified_against_fake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loaded, installed, finding
) -> None:
    _fake_tools(monkeypatch, installed)
    got = host.stack(sys_root=_sysfs(tmp_path, loaded))
    assert got["driver_version"] == loaded  # never modinfo's answer
    assert got["driver_installed_version"] == installed
    if finding is None:
        assert got["driver_finding"] is None
    else:
        assert finding in got["driver_finding"], got["driver_finding"]
    r = _report(
        accelerator_present=True, accelerator_used=True, backend="hailo", served="hailo", stack=got
    )
    row = summary.judge(r, SLO, expect_accelerator=True)
    assert row["checks"]["driver"]["ok"] is (finding is None), row["checks"]["driver"]
    assert row["verdict"] == ("PASS" if finding is None else "FAIL")


def _gone(pid: int) -> bool:
    """The process is dead: no /proc entry, or a zombie waiting for its (new) parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


@pytest.mark.timeout(60)
def test_golden_step_is_killed_at_its_timeout_with_a_clear_message(tmp_path: Path) -> None:
    """A golden step that never ends (a hung device load) is killed with its process group,
    a helper it forked included, and the report says so instead of hanging the play."""
    pidfile = tmp_path / "grandchild.pid"
    hang = (
        "import subprocess, sys, time\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'],"
        " stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"open({str(pidfile)!r}, 'w').write(str(g.pid))\n"
        "print('loading the HEF', file=sys.stderr, flush=True)\n"
        "time.sleep(3600)\n"
    )
    out = tmp_path / "golden.json"
    got = host.golden_step(tmp_path, out, 2.0, argv=[sys.executable, "-c", hang])
    assert got["ok"] is False and got["timed_out"] is True
    assert "did not finish within its timeout of 2 s" in got["error"]
    assert "was killed" in got["error"] and "loading the HEF" in got["error"]
    grandchild = int(pidfile.read_text())
    for _ in range(100):  # SIGKILL was sent; wait (bounded) for the kernel to finish it
        if _gone(grandchild):
            break
        time.sleep(0.05)
    survived = not _gone(grandchild)
    if survived:  # leave nothing running when the code under test is broken
        os.kill(grandchild, signal.SIGKILL)
    assert not survived, "the golden step's helper survived its timeout"
    r = host.merge_report("pi1", {"golden": got, "load": {"served_backend": "hailo"}})
    assert r["statement"].startswith("golden step killed at its timeout")
    row = summary.judge(r, SLO, expect_accelerator=False)
    assert not row["checks"]["golden"]["ok"] and "timeout" in row["checks"]["golden"]["detail"]
    assert "golden did not finish" in row["checks"]["served"]["detail"], row["checks"]


def test_golden_step_reports_a_crash_and_passes_a_result_through(tmp_path: Path) -> None:
    out = tmp_path / "golden.json"
    crash = [sys.executable, "-c", "import sys; sys.exit('ImportError: hailo_platform')"]
    got = host.golden_step(tmp_path, out, 30.0, argv=crash)
    assert (
        got["ok"] is False and "exited with 1" in got["error"] and "hailo_platform" in got["error"]
    )
    write = [sys.executable, "-c", f"open({str(out)!r}, 'w').write('{{\"ok\": true}}')"]
    assert host.golden_step(tmp_path, out, 30.0, argv=write) == {"ok": True}


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

#!/usr/bin/env python3
"""First-day verification run ON an edge host (`ansible-playbook verify.yml`, docs/verify.md).

Run with the current release's venv python (the daemon's own packages: hailo_inference,
edge_artifact, numpy). Three steps, each writing one JSON part; `report` merges them:
- `stack`: HailoRT library, driver, firmware and architecture as the host reports them
  (`hailortcli --version`, the LOADED driver from /sys/module/hailo_pci/version and the
  installed one from `modinfo -F version hailo_pci`, `hailortcli fw-control identify`);
- `golden`: loads the artifact exactly as the daemon does (hailo_inference ModelService.build:
  the backend plugin from backends/registry.py, warm-up, golden.npz within the manifest's
  tolerance for that backend), on `hailo` when a device and a HEF are there, else `onnx`, and
  says plainly when no accelerator is present; run in its own process group and killed at
  `--timeout` (a hung device load must not hang the play with the daemon stopped);
- `load`: an open-loop load of golden windows at a fixed rate through the daemon's real HTTP
  path (POST /infer), then p50/p95/p99, success rate, achieved rate and the device temperature
  the daemon exports in /metrics, and the backend every worker served it on (/metrics);
Nothing is judged here: the controller judges the SLO (verify_summary.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hailo_inference.metric_names import serving_backends

NO_ACCELERATOR = "no accelerator present"
NOT_LOADED = "hailo_pci not loaded"
# Linux Documentation/ABI/stable/sysfs-module: /sys/module/<MODULENAME> exists while a dynamic
# module is loaded, and its `version` file holds MODULE_VERSION; hailo_pci declares
# MODULE_VERSION(HAILO_DRV_VER) (hailo-ai/hailort-drivers linux/pcie/src/pcie.c). modinfo reads
# the .ko on disk instead, which is what the NEXT boot loads.
HAILO_PCI_VERSION = ("module", "hailo_pci", "version")
_TEMP = re.compile(
    r'^edge_sidecar_device_temperature_celsius\{[^}]*sensor="([^"]+)"[^}]*\}\s+(\S+)'
)


# ---- pure parts (unit-tested in tests/roles/test_verify_host.py) -----------------------------
def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation (numpy's default); None when empty."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def parse_identify(text: str) -> dict[str, str | None]:
    """`hailortcli fw-control identify` -> firmware version and architecture (None: not shown)."""
    fw = re.search(r"Firmware Version:\s*(\d+\.\d+\.\d+)", text)
    arch = re.search(r"Device Architecture:\s*(\S+)", text)
    return {
        "firmware_version": fw.group(1) if fw else None,
        "architecture": arch.group(1) if arch else None,
    }


def parse_version(text: str) -> str | None:
    """The first x.y.z in a tool's version output (`hailortcli --version`, `modinfo -F`)."""
    m = re.search(r"(\d+\.\d+\.\d+)", text)
    return m.group(1) if m else None


def loaded_driver_version(sys_root: Path = Path("/sys")) -> str | None:
    """The hailo_pci version the running kernel has loaded; None when it is not loaded."""
    try:
        return parse_version(sys_root.joinpath(*HAILO_PCI_VERSION).read_text())
    except OSError:
        return None


def driver_finding(loaded: str | None, installed: str | None) -> str | None:
    """What is wrong with the driver, if anything: not loaded, or loaded != installed."""
    if loaded is None:
        return (
            f"{NOT_LOADED}: no /sys/module/hailo_pci/version (installed on disk: "
            f"{installed or 'none found by modinfo'}); load it (`sudo modprobe hailo_pci`) or "
            "reboot, then read `dmesg | grep -i hailo`"
        )
    if installed is not None and installed != loaded:
        return (
            f"hailo_pci {loaded} is loaded but {installed} is installed on disk: reboot (or "
            "reload hailo_pci) so the kernel runs the driver HailoRT was installed with"
        )
    return None


def parse_temperatures(metrics_text: str) -> dict[str, float]:
    """The daemon's edge_sidecar_device_temperature_celsius samples by sensor."""
    out: dict[str, float] = {}
    for line in metrics_text.splitlines():
        m = _TEMP.match(line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def load_summary(
    latencies_ms: list[float], errors: list[str], sent: int, send_span_s: float, wall_s: float
) -> dict:
    """Figures of one open-loop run: latencies of the successful requests, error strings, the
    time over which the `sent` windows went out (first send to one interval after the last) and
    the wall time until the last answer. The offered rate (windows sent per second, to 0.1) is
    what the rate SLO judges: a host that cannot keep up makes the sender fall behind."""
    ok = len(latencies_ms)
    kinds: dict[str, int] = {}
    for e in errors:
        kinds[e] = kinds.get(e, 0) + 1
    return {
        "sent": sent,
        "ok": ok,
        "failed": sent - ok,
        "errors": kinds,
        "success_rate": ok / sent if sent else 0.0,
        "offered_rate_per_s": round(sent / send_span_s, 1) if send_span_s > 0 else 0.0,
        "goodput_per_s": round(ok / wall_s, 2) if wall_s > 0 else 0.0,
        "wall_s": round(wall_s, 3),
        "p50_ms": percentile(latencies_ms, 50),
        "p95_ms": percentile(latencies_ms, 95),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": max(latencies_ms) if latencies_ms else None,
    }


def served_backend(backends: list[str]) -> str | None:
    """The backend that served the load: its name when every worker used the same one, None
    when none is known, `mixed: a, b` when workers differ (a load judged on one backend only)."""
    if not backends:
        return None
    return backends[0] if len(set(backends)) == 1 else "mixed: " + ", ".join(sorted(backends))


def merge_report(host: str, parts: dict[str, dict]) -> dict:
    """One host's report from its parts; states plainly when no accelerator was present and
    which backend served the load (golden on hailo proves nothing about a load served on onnx)."""
    golden = parts.get("golden", {})
    served = parts.get("load", {}).get("served_backend")
    accel, used = bool(golden.get("accelerator_present")), bool(golden.get("accelerator_used"))
    if golden.get("timed_out"):
        statement = f"golden step killed at its timeout: {golden.get('error', '?')}"
    elif accel and used and served == "hailo":
        statement = "accelerator present: golden vectors and load ran on the Hailo device"
    elif accel and used:
        fallback = " (CPU fallback)" if served == "onnx" else ""
        statement = (
            "accelerator present: golden vectors ran on the Hailo device but the load was served "
            f"on {served or 'an unknown backend (/healthz did not say)'}{fallback}: its latency "
            "is not the accelerator's"
        )
    elif accel:
        statement = (
            "accelerator present but NOT used (the onnx backend ran instead): "
            f"{golden.get('why_not_hailo', '?')}"
        )
    else:
        statement = (
            f"{NO_ACCELERATOR}: golden vectors and load ran on the onnx backend (CPU); "
            "nothing here proves the Hailo path"
        )
    return {
        "host": host,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "accelerator_present": accel,
        "accelerator_used": used,
        "statement": statement,
        "stack": parts.get("stack", {}),
        "golden": golden,
        "load": parts.get("load", {}),
    }


# ---- host I/O --------------------------------------------------------------------------------
def _run(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a host tool: stdout is what gets parsed; stderr (a
    library's warning, a modinfo complaint naming the kernel's x.y.z) is only ever shown."""
    if shutil.which(argv[0]) is None:
        return 127, "", f"{argv[0]}: not installed"
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, "", str(exc)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def stack(sys_root: Path = Path("/sys")) -> dict[str, Any]:
    rc_lib, lib, _ = _run(["hailortcli", "--version"])
    rc_drv, drv, _ = _run(["modinfo", "-F", "version", "hailo_pci"])
    rc_id, ident, ident_err = _run(["hailortcli", "fw-control", "identify"])
    loaded = loaded_driver_version(sys_root)
    installed = parse_version(drv) if rc_drv == 0 else None
    out: dict[str, Any] = {
        "library_version": parse_version(lib) if rc_lib == 0 else None,
        "driver_version": loaded,  # what runs now, not the file on disk
        "driver_installed_version": installed,
        "driver_finding": driver_finding(loaded, installed),
        **(parse_identify(ident) if rc_id == 0 else parse_identify("")),
        "device_node": Path("/dev/hailo0").exists(),
    }
    out["identify_output"] = "\n".join(t for t in (ident, ident_err) if t)[-2000:]  # for people
    return out


def accelerator_present() -> tuple[bool, str]:
    """Whether HailoRT's Python API sees a Hailo device here, and what it said."""
    from hailo_inference.backends.base import BackendUnavailable
    from hailo_inference.backends.hailo import device_present, import_platform

    try:
        hp = import_platform()
    except BackendUnavailable as exc:
        return False, str(exc)
    if not device_present(hp):
        return False, "hailo_platform.Device.scan() found no Hailo device"
    return True, "hailo_platform.Device.scan() found a device"


def golden(artifact: Path) -> dict[str, Any]:
    from edge_artifact import load_artifact
    from hailo_inference.backends.registry import unavailable
    from hailo_inference.config import ModelConfig
    from hailo_inference.logs import get_logger
    from hailo_inference.metrics import Metrics
    from hailo_inference.service import LoadError, ModelService

    art = load_artifact(str(artifact), verify=True)
    present, seen = accelerator_present()
    why_not = unavailable("hailo", art) if present else seen
    kind = "hailo" if why_not is None else "onnx"
    out: dict[str, Any] = {
        "accelerator_present": present,
        "accelerator_used": kind == "hailo",
        "backend": kind,
        "model": art.ref,
        "hef": bool(art.backend("hailo")),
    }
    if not present:
        out["why_not_hailo"] = f"{NO_ACCELERATOR}: {seen}"
    elif why_not is not None:
        out["why_not_hailo"] = f"accelerator present but not usable: {why_not}"
    cfg = ModelConfig(artifact=str(artifact), backend=kind, fallback_to_onnx=False)
    t0 = time.monotonic()
    try:
        served = ModelService(cfg, Metrics(), get_logger()).build(str(artifact))
    except LoadError as exc:
        return {**out, "ok": False, "error": str(exc)}
    out.update(
        ok=served.golden.ok,
        load_s=round(time.monotonic() - t0, 3),
        report=served.golden.as_dict(),
        backend_info=served.backend.describe(),
        temperatures_c=served.backend.temperatures(),
    )
    return out


def _http(url: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def load(url: str, artifact: Path, rate: float, duration_s: float, timeout_s: float) -> dict:
    from edge_artifact import read_golden

    bodies = [json.dumps({"x": w.tolist()}).encode() for w in read_golden(artifact).x[:64]]
    n = round(rate * duration_s)
    lat: list[float] = []
    errors: list[str] = []
    sends: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        t = time.monotonic()
        with lock:
            sends.append(t)
        try:
            code, raw = _http(f"{url}/infer", bodies[i % len(bodies)], timeout_s)
            err = None if code == 200 and b'"latent"' in raw else f"http {code}"
        except (OSError, urllib.error.URLError) as exc:
            err = type(exc).__name__
        ms = (time.monotonic() - t) * 1000.0
        with lock:
            (errors.append(err) if err else lat.append(ms))

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(4, int(rate * timeout_s) + 1)) as pool:
        for i in range(n):  # open loop: request i is sent at start + i / rate, whatever came back
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
    wall = time.monotonic() - start
    span = max(sends) - min(sends) + 1.0 / rate  # first to last real send, plus one interval
    lag = max(t - (start + i / rate) for i, t in enumerate(sorted(sends)))
    out = {"url": url, "rate_per_s": rate, "duration_s": duration_s}
    out.update(load_summary(lat, errors, n, span, wall), max_send_lag_ms=round(lag * 1000, 1))
    metrics = ""
    try:
        code, raw = _http(f"{url}/metrics", None, timeout_s)
        metrics = raw.decode(errors="replace") if code == 200 else ""
    except (OSError, urllib.error.URLError):
        pass
    out["temperatures_c"] = parse_temperatures(metrics)
    try:
        code, raw = _http(f"{url}/healthz", None, timeout_s)
        h = json.loads(raw) if code == 200 else {}
    except (OSError, ValueError, urllib.error.URLError):
        h = {}
    model = h.get("model")
    backends = serving_backends(metrics, str(model)) if model else []
    out.update(
        served_backend=served_backend(backends),  # every worker, after the load
        served_backends=backends,
        served_model=model,
        healthz_backend=h.get("backend"),  # the one worker this connection reached
    )
    return out


def bounded(argv: list[str], timeout_s: float) -> tuple[int | None, str]:
    """Run argv in a session of its own; at timeout_s kill its whole process group (HailoRT
    threads, any helper it forked). (exit code, or None when killed; the tail of its stderr)."""
    p = subprocess.Popen(  # its result is the --out file; stdout is not read (nor a pipe)
        argv,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        return None, (err or "")[-2000:]
    return p.returncode, (err or "")[-2000:]


def golden_step(
    artifact: Path, out: Path, timeout_s: float, argv: list[str] | None = None
) -> dict[str, Any]:
    """`golden` in a child process killed at timeout_s; its result, or why there is none."""
    argv = argv or [
        sys.executable,
        str(Path(__file__).resolve()),
        "golden-run",
        "--artifact",
        str(artifact),
        "--out",
        str(out),
    ]
    out.unlink(missing_ok=True)
    rc, err = bounded(argv, timeout_s)
    if rc is None:
        return {
            "ok": False,
            "timed_out": True,
            "backend": "?",
            "error": (
                f"the golden step did not finish within its timeout of {timeout_s:g} s "
                "(hailo_verify_golden_timeout_s) and was killed: loading the artifact or running "
                "golden.npz hung; on a Hailo host send `dmesg | grep -i hailo` and "
                "`journalctl -u hailort`. stderr: " + (err.strip()[-500:] or "(empty)")
            ),
        }
    if rc != 0 or not out.is_file():
        why = err.strip()[-500:] or "(no stderr)"
        return {"ok": False, "backend": "?", "error": f"golden step exited with {rc}: {why}"}
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    sub.add_parser("stack").add_argument("--out", type=Path, required=True)
    g = sub.add_parser("golden")
    g.add_argument("--artifact", type=Path, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--timeout", type=float, default=600.0, help="kill the step after, seconds")
    gr = sub.add_parser("golden-run", help="the golden step itself, unbounded (used by golden)")
    gr.add_argument("--artifact", type=Path, required=True)
    gr.add_argument("--out", type=Path, required=True)
    ld = sub.add_parser("load")
    ld.add_argument("--url", required=True, help="daemon base URL, e.g. http://127.0.0.1:9000")
    ld.add_argument("--artifact", type=Path, required=True)
    ld.add_argument("--rate", type=float, default=20.0, help="windows per second")
    ld.add_argument("--duration", type=float, default=60.0, help="seconds")
    ld.add_argument("--timeout", type=float, default=5.0, help="per request, seconds")
    ld.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report")
    r.add_argument("--host", required=True)
    r.add_argument("--parts", type=Path, required=True, help="folder of stack/golden/load.json")
    r.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    if a.step == "stack":
        result = stack()
    elif a.step == "golden":
        result = golden_step(a.artifact, a.out, a.timeout)
    elif a.step == "golden-run":
        result = golden(a.artifact)
    elif a.step == "load":
        result = load(a.url, a.artifact, a.rate, a.duration, a.timeout)
    else:
        parts = {
            p.stem: json.loads(p.read_text())
            for p in a.parts.glob("*.json")
            if p.stem in ("stack", "golden", "load")
        }
        result = merge_report(a.host, parts)
    a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, default=str)[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())

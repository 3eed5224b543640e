"""Several hailo workers reach hailort.service under the daemon's real unit (issue 27 item 1).

Verified against a fake, not on hardware. HailoRT's service listens on /tmp/hailort_uds.sock
(hailort/rpc/rpc_definitions.hpp@v4.20.0 line 23, the same from v4.17.0 to v4.23.0;
hailort_service/unix/hailort_service.cpp@v4.20.0 lines 37-43 listen there and make that path
world-writable) and PrivateTmp=yes gives a unit its own /tmp (systemd.exec(5)). Tests of the
daemon reach the fake service through HAILORT_SERVICE_ADDRESS and could not see it.

Here, on one lab host of the fleet the suite already runs (no fleet of its own):
- the fake hailort_service (tests/fakes/hailo_platform/fake_service.py) runs as a system service
  with neither --socket nor HAILORT_SERVICE_ADDRESS: it binds the host's real /tmp path;
- the daemon's unit, rendered from roles/hailo_inference/templates/hailo-inference.service.j2 for
  2 workers on the hailo backend of an accelerator host, is installed with every sandboxing line
  as rendered; only what would start the real daemon is swapped: ExecStart runs 2 worker
  processes that each open a VDevice through hailort.service with the fake client (the daemon's
  hailo backend does the same call, VDevice(params with multi_process_service)), Type=oneshot, and
  the unit's names (user, state folders) are the test's own so the deployed daemon is untouched.
The lab has no HEF-bearing artifact and no Hailo device, so the daemon itself does not run here;
the socket path, the sandbox and the fake's file modes are what is exercised.
The same unit with PrivateTmp=yes added back (what the role rendered before the fix) must fail
with HAILO_RPC_FAILED (77) in both workers, so the test shows the failure and the fix.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from deploylib import ROOT, ad_hoc, on_host
from test_service_unit import render

pytestmark = pytest.mark.lab

NAME = "fake-uds-probe"  # user, group, unit and state folders of the probe unit
OPT = "/opt/fake-hailo-uds"
PY = f"{OPT}/venv/bin/python"
SOCKET = "/tmp/hailort_uds.sock"
SERVICE = "fake-hailort-uds"  # the transient unit playing hailort.service
VERSION = "4.20.0"
ENV = f"PYTHONPATH={OPT}/fakes FAKE_HAILORT_VERSION={VERSION}"
WHEELS = ROOT / "wheelhouse" / "x86_64-cp311"
# Each worker opens a VDevice through the service as the daemon's hailo backend does
# (VDevice.create_params() with multi_process_service and a shared group_id).
PROBE = """import os, subprocess, sys
log = os.path.join(os.environ["STATE_DIRECTORY"], "workers.log")
def say(line):
    print(line, flush=True)
    with open(log, "a") as f:
        f.write(line + "\\n")
if len(sys.argv) == 1:
    open(log, "w").close()
    kids = [subprocess.Popen([sys.executable, __file__, str(i)]) for i in (1, 2)]
    sys.exit(max(k.wait() for k in kids))
from hailo_platform import _device, __version__
try:
    _device.ServiceVDevice("SHARED", __version__)
except Exception as exc:
    say(f"worker {sys.argv[1]} FAILED: {exc}")
    sys.exit(1)
say(f"worker {sys.argv[1]} OK: VDevice through {_device.service_path()}")
"""
CLEAN = (
    f"systemctl stop {NAME}.service {SERVICE}.service >/dev/null 2>&1; "
    f"systemctl reset-failed {NAME}.service {SERVICE}.service >/dev/null 2>&1; "
    f"rm -f /etc/systemd/system/{NAME}.service {SOCKET}; systemctl daemon-reload; "
    f"rm -rf {OPT} /var/lib/{NAME} /run/{NAME}-dev; userdel {NAME} >/dev/null 2>&1; "
    f"groupdel {NAME} >/dev/null 2>&1; true"
)


def probe_unit(private_tmp: bool) -> str:
    """The rendered unit, sandbox as rendered, with the probe as its process."""
    unit = render(
        edge_has_accelerator=True,
        hailo_inference_backend="hailo",
        hailo_inference_workers=2,
        hailo_inference_user=NAME,
        hailo_inference_group=NAME,
        hailo_inference_device_group=NAME,
    )
    drop = re.compile(
        r"^(Type|NotifyAccess|ExecStart|ExecReload|WatchdogSec|Restart|RestartSec|"
        r"RestartPreventExitStatus)=|^(Wants|After)=dev-"
    )
    lines = [ln for ln in unit.splitlines() if not drop.match(ln)]
    text = "\n".join(lines).replace("hailo-inference", NAME) + "\n"
    service = f"Type=oneshot\nExecStart={PY} {OPT}/probe.py\nEnvironment={ENV}\n" + (
        "PrivateTmp=yes\n" if private_tmp else ""
    )
    return text.replace("[Service]\n", "[Service]\n" + service, 1)


@pytest.fixture(scope="module")
def uds_host(edge_hosts: dict[str, str], wheelhouse: None):
    host = sorted(edge_hosts)[0]
    on_host(host, CLEAN)
    wheels = [w for w in WHEELS.glob("*.whl") if w.name.lower().startswith(("numpy-", "pyyaml-"))]
    assert len(wheels) == 2, f"numpy and pyyaml wheels expected in {WHEELS}: {wheels}"
    fakes = ROOT / "tests" / "fakes" / "hailo_platform"
    for src, dest in [(fakes, f"{OPT}/fakes/"), *[(w, f"{OPT}/wheels/") for w in wheels]]:
        res = ad_hoc(host, "ansible.builtin.copy", f"src={src} dest={dest} mode=preserve")
        assert res.rc == 0, res.out
    setup = on_host(
        host,
        f"set -e; useradd --system --user-group --no-create-home {NAME}; "
        f"python3 -m venv {OPT}/venv; {PY} -m pip -q install --no-index {OPT}/wheels/*.whl; "
        f"printf %s {shlex.quote(PROBE)} > {OPT}/probe.py; "
        # hailort.service's stand-in: a system service without PrivateTmp, default socket
        f"systemd-run --unit={SERVICE} -p Environment='FAKE_HAILO_DEVICE_DIR=/run/{NAME}-dev' "
        f"-p Environment='{ENV}' {PY} -m hailo_platform.fake_service; "
        f"for i in $(seq 100); do [ -S {SOCKET} ] && break; sleep 0.1; done; "
        f"stat -c '%a %n' {SOCKET}",
    )
    assert setup.rc == 0, setup.out + setup.err
    print(setup.out)
    yield host
    on_host(host, CLEAN)


def _run_probe(host: str, private_tmp: bool, tmp: Path) -> tuple[int, str]:
    local = tmp / f"{NAME}-{private_tmp}.service"
    local.write_text(probe_unit(private_tmp))
    res = ad_hoc(
        host, "ansible.builtin.copy", f"src={local} dest=/etc/systemd/system/{NAME}.service"
    )
    assert res.rc == 0, res.out
    started = on_host(
        host,
        f"systemctl daemon-reload; systemctl start {NAME}.service; rc=$?; "
        f"cat /var/lib/{NAME}/workers.log; "
        f"systemctl reset-failed {NAME}.service 2>/dev/null; exit $rc",
    )
    print(started.out)
    return started.rc, started.out.split(">>", 1)[-1]


def test_two_hailo_workers_reach_hailort_service_under_the_real_unit_verified_against_fake(
    uds_host: str, tmp_path: Path
) -> None:
    assert "606 " + SOCKET in on_host(uds_host, f"stat -c '%a %n' {SOCKET}").out
    # before the fix: the rendered unit had PrivateTmp=yes and both workers failed with 77
    rc, out = _run_probe(uds_host, True, tmp_path)
    # (each worker's line: "worker N FAILED: ... 77 (HAILO_RPC_FAILED)")
    assert rc != 0 and out.count(" FAILED: ") == 2 and "77" in out, out
    # the role's unit as rendered now: both workers open their VDevice through the service
    rc, out = _run_probe(uds_host, False, tmp_path)
    assert rc == 0 and out.count(f"OK: VDevice through {SOCKET}") == 2, out

"""Fleet checks of the deployed hailo-inference service on every edge host (testinfra, lab).

Run by `make test-lab` while the lab fleet is up; the hosts come from inventory/lab through the
Ansible backend, exactly as on real Pis with `--ansible-inventory=inventory/production`. When no
release is deployed yet, the module deploys one first with site.yml (the lab's listen address).
Lab hosts have no accelerator: the hailo device checks only run where one is declared.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from deploylib import ROOT, ad_hoc, playbook
from fleetlib import hosts, lab_marks

ROOT_DIR = "/opt/hailo-inference"
CONFIG = "/etc/hailo-inference/config.yaml"
SERVICE = "hailo-inference"
GOOD_LEVELS = ("PERFECT", "SAFE", "OK")

pytestmark = lab_marks()
testinfra_hosts = hosts("edge")


def _run_on(host, script: str) -> str:
    """Run a small Python script on the host with the release's venv python."""
    return host.check_output(f"{ROOT_DIR}/current/venv/bin/python -c {_q(script)}")


def _q(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


@pytest.fixture(scope="module", autouse=True)
def deployed() -> None:
    """Deploy with site.yml when some edge host has no active release yet."""
    probe = ad_hoc("edge", "ansible.builtin.stat", f"path={ROOT_DIR}/current/RELEASE.json")
    # ansible.cfg prints results as YAML (exists: false), -o or other callbacks as JSON
    if probe.rc == 0 and not re.search(r'exists"?: false', probe.out):
        return
    subprocess.run([str(ROOT / "scripts/wheelhouse.sh"), "x86_64-cp311"], check=True, cwd=ROOT)
    # an artifact of its own (a fresh clone has none under artifacts/): the untrained recipe
    built = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "edge_compiler", "build", "--recipe", "untrained",
         "--out", str(ROOT / "build" / "fleet-artifacts"), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    artifact = Path(built.stdout.strip().splitlines()[-1])
    # bounded by pytest-timeout (pytest.ini) anyway; emulated (qemu-user) hosts deploy slowly
    if playbook(artifact, timeout=900).rc != 0:
        pytest.fail("site.yml failed on the lab; see its output above")


def _config(host) -> dict:
    import yaml

    return yaml.safe_load(host.file(CONFIG).content_string)


def _accelerator(host) -> bool:
    return bool(host.ansible.get_variables().get("edge_has_accelerator", True))


def _time_scale(host) -> int:
    """The lab's edge_time_scale: > 1 only on emulated (qemu-user) hosts, 1 on real Pis."""
    return int(host.ansible.get_variables().get("edge_time_scale", 1))


def test_service_active_enabled_and_not_crash_looping(host) -> None:
    svc = host.service(SERVICE)
    assert svc.is_running, host.run(f"journalctl -u {SERVICE} -n 30 --no-pager").stdout
    assert svc.is_enabled
    props = svc.systemd_properties
    assert props["Type"] == "notify"
    assert props["Restart"] == "on-failure"
    assert props["WatchdogUSec"] not in ("0", "infinity"), props["WatchdogUSec"]
    assert int(props["NRestarts"]) < 3, f"{props['NRestarts']} automatic restarts: crash loop?"


def test_listens_only_where_configured(host) -> None:
    server = _config(host)["server"]
    assert host.socket(f"tcp://{server['host']}:{server['port']}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{server['port']}").is_listening


def test_unit_hardening_properties(host) -> None:
    props = host.service(SERVICE).systemd_properties
    assert props["User"] == "hailo-inference"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["DevicePolicy"] == "closed"
    assert props["PrivateDevices"] == "no"  # would hide /dev/hailo0
    assert props.get("CapabilityBoundingSet", "") == ""  # testinfra drops empty values
    if _accelerator(host):
        assert "/dev/hailo0 rw" in props.get("DeviceAllow", "")
    else:
        assert "hailo" not in props.get("DeviceAllow", "")


def test_systemd_analyze_security_is_ok_or_better(host) -> None:
    out = host.run(f"systemd-analyze security --no-pager {SERVICE}.service")
    last = [ln for ln in out.stdout.splitlines() if "Overall exposure level" in ln]
    assert last, out.stdout[-2000:] + out.stderr
    print(last[0])
    assert any(level in last[0] for level in GOOD_LEVELS), last[0]


def test_user_and_permissions(host) -> None:
    user = host.user("hailo-inference")
    assert user.exists and user.shell == "/usr/sbin/nologin"
    assert ("hailo" in user.groups) == _accelerator(host)
    cfg = host.file(CONFIG)
    assert (cfg.user, cfg.group, cfg.mode) == ("root", "hailo-inference", 0o640)
    manifest = host.file(f"{ROOT_DIR}/current/artifact/manifest.json")
    assert (manifest.user, manifest.group, manifest.mode) == ("root", "hailo-inference", 0o640)


def test_current_release_link(host) -> None:
    current = host.file(f"{ROOT_DIR}/current")
    assert current.is_symlink
    assert current.linked_to.startswith(f"{ROOT_DIR}/releases/")
    release = json.loads(host.file(f"{ROOT_DIR}/current/RELEASE.json").content_string)
    assert current.linked_to.endswith("/" + release["release"])
    assert host.file(f"{ROOT_DIR}/current/venv/bin/hailo-inference").exists


def test_artifact_sha256_equals_manifest(host) -> None:
    """Every serving file is on the host with the manifest's sha256; the build-only ones
    (calibration.npy, ...: edge_artifact.file_roles) never reach it (issue 28 item 7)."""
    from edge_artifact.file_roles import SERVE, file_role
    from edge_artifact.manifest import Manifest

    art = f"{ROOT_DIR}/current/artifact"
    manifest = Manifest(json.loads(host.file(f"{art}/manifest.json").content_string))
    assert manifest.files, "empty manifest"
    for name, entry in manifest.files.items():
        if file_role(manifest, name) == SERVE:
            assert host.file(f"{art}/{name}").sha256sum == entry["sha256"], name
        else:
            assert not host.file(f"{art}/{name}").exists, f"{name} is build-only, sent anyway"
    assert not host.file(f"{art}/calibration.npy").exists


def test_healthz_readyz_and_a_real_infer(host) -> None:
    """/healthz names the released model, /readyz is 200, /infer matches golden.npz window 0."""
    server = _config(host)["server"]
    url = f"http://{server['host']}:{server['port']}"
    t = 5 * _time_scale(host)
    script = f"""
import json, urllib.request, numpy as np
art = "{ROOT_DIR}/current/artifact"
h = json.load(urllib.request.urlopen("{url}/healthz", timeout={t}))
r = urllib.request.urlopen("{url}/readyz", timeout={t}).status
g = np.load(art + "/golden.npz")
req = urllib.request.Request("{url}/infer", data=json.dumps({{"x": g["x"][1].tolist()}}).encode(),
                             headers={{"Content-Type": "application/json"}})
body = json.load(urllib.request.urlopen(req, timeout={t}))
lat, want = np.array(body["latent"]), g["latent"][1]
cos = float(lat @ want / np.linalg.norm(lat) / np.linalg.norm(want))
print(json.dumps({{"health": h, "ready": r, "cos": cos, "n_latent": len(body["latent"]),
                  "n_motifs": len(body["motif_scores"]),
                  "tol": json.load(open(art + "/manifest.json"))["tolerance"]["onnx"]}}))
"""
    res = json.loads(_run_on(host, script))
    release = json.loads(host.file(f"{ROOT_DIR}/current/RELEASE.json").content_string)
    assert res["health"]["ok"] is True
    assert res["health"]["model"] == release["model"]
    assert res["ready"] == 200
    assert (res["n_latent"], res["n_motifs"]) == (64, 12)
    assert res["cos"] >= res["tol"]["min_cosine"], res


def test_logs_are_ndjson(host) -> None:
    out = host.check_output(f"journalctl _SYSTEMD_UNIT={SERVICE}.service -o cat -n 300 --no-pager")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert lines, "the daemon logged nothing to journald"
    bad = []
    for ln in lines:
        try:
            assert isinstance(json.loads(ln), dict)
        except (ValueError, AssertionError):
            bad.append(ln)
    assert not bad, f"{len(bad)} of {len(lines)} log lines are not NDJSON: {bad[:3]}"


def test_the_venv_runs_the_wheelhouse_versions(host) -> None:
    """Each wheel of the controller's wheelhouse is the version the venv imports: apt's copies
    (visible through --system-site-packages on accelerator hosts) never shadow the tested ones."""
    arch = host.system_info.arch
    pyver = _run_on(host, "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')")
    wheels = {}
    for whl in (ROOT / "wheelhouse" / f"{arch}-cp{pyver.strip()}").glob("*.whl"):
        name, version = whl.name.split("-")[:2]
        wheels[_norm(name)] = version
    assert wheels, "no wheelhouse on the controller for this host"
    script = (
        "import importlib.metadata as m, json, re; seen = {}\n"
        "for d in m.distributions():\n"
        "    seen.setdefault(re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(), d.version)\n"
        "print(json.dumps(seen))"
    )
    installed = json.loads(_run_on(host, script))
    wrong = {n: (installed.get(n), v) for n, v in wheels.items() if installed.get(n) != v}
    assert not wrong, f"venv version != wheelhouse version (installed, wanted): {wrong}"


def _norm(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


def test_venv_binary_wheels_are_for_the_hosts_architecture(host) -> None:
    """Every platform wheel in the venv was built for this host's machine (aarch64 on the arm64
    host, x86_64 on amd64 ones): the wheelhouse was chosen from the host's facts."""
    machine = host.system_info.arch
    script = (
        "import glob, json, sysconfig\n"
        "tags = {}\n"
        "for w in glob.glob(sysconfig.get_paths()['purelib'] + '/*.dist-info/WHEEL'):\n"
        "    tags[w.split('/')[-2]] = [ln.split(':', 1)[1].strip() for ln in open(w)\n"
        "                              if ln.startswith('Tag:')]\n"
        "print(json.dumps(tags))"
    )
    tags = json.loads(_run_on(host, script))
    binary = {d: t for d, t in tags.items() if any(not x.endswith("-any") for x in t)}
    assert any(d.startswith(("numpy-", "onnxruntime-")) for d in binary), sorted(tags)
    wrong = {d: t for d, t in binary.items() if not all(x.endswith(machine) for x in t)}
    assert not wrong, f"wheels not built for {machine}: {wrong}"

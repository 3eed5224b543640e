"""Helpers for the end-to-end deployment scenarios on the lab fleet (`make test-lab`).

Everything runs from the controller exactly as a user would: `ansible-playbook site.yml` against
inventory/lab, HTTP to the hosts' lab addresses (playbooks/vars/lab.yml makes the daemon listen
there, allow-listed to the lab bridge), ad-hoc `ansible` for host-side actions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tool_output import json_from_stdout, play_recap, run_tool

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = Path(os.environ.get("DEPLOY_INVENTORY", ROOT / "inventory" / "lab"))
CTL = ROOT / ".venv-ctl" / "bin"
PY = ROOT / ".venv" / "bin" / "python"
WORK = ROOT / "build" / "deploy-tests"
PORT = 9000


@dataclass
class Result:
    """A finished controller command: its exit code and its two streams, kept apart.

    Parse `stdout` only (`recap()`, `json()`, `on_host(...).stdout`): stderr carries whatever
    the controller's libraries say (a CryptographyDeprecationWarning, Ansible's [WARNING]s).
    `out` is both, for people and for finding a message that may be on either stream."""

    rc: int
    stdout: str
    stderr: str
    cmd: tuple[str, ...] = ()

    @property
    def out(self) -> str:
        """stdout then stderr: for assertion messages and substring searches, never parsed."""
        return self.stdout + self.stderr

    @property
    def flat(self) -> str:
        """`out` with every run of whitespace as one space: Ansible wraps long messages."""
        return " ".join(self.out.split())

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP counters per host (from stdout)."""
        return play_recap(self.stdout)

    def json(self) -> Any:
        """stdout as one JSON document (`ansible-inventory --list`); raises with both streams."""
        return json_from_stdout(self.cmd, self.rc, self.stdout, self.stderr)


def run(cmd: list[str], timeout: int = 600) -> Result:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    p = run_tool(cmd, cwd=ROOT, env=env, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr, tuple(str(c) for c in cmd))


def inventory_hosts(group: str) -> dict[str, str]:
    """{inventory name: ansible_host} of one group of INVENTORY, from `ansible-inventory --list`."""
    data = run([str(CTL / "ansible-inventory"), "-i", str(INVENTORY), "--list"]).json()
    return {h: data["_meta"]["hostvars"][h]["ansible_host"] for h in data[group]["hosts"]}


def play(
    *extra: str,
    name: str = "site.yml",
    artifact: Path | None = None,
    limit: str | None = None,
    inventories: Sequence[Path] = (INVENTORY,),
    lab_vars: bool = True,
    timeout: int = 600,
) -> Result:
    """`ansible-playbook NAME` from the repo root, as a user runs it; prints its output's tail.

    `inventories` are passed in order (`-i` each); `lab_vars` adds playbooks/vars/lab.yml (the
    daemon listens on the lab address, allow-listed to the lab bridge); `artifact` sets
    `hailo_inference_artifact`; `extra` goes last, so its `-e` wins over both."""
    cmd = [str(CTL / "ansible-playbook")]
    for inv in inventories:
        cmd += ["-i", str(inv)]
    cmd.append(name)
    if limit:
        cmd += ["--limit", limit]
    if lab_vars:
        cmd += ["-e", "@playbooks/vars/lab.yml"]
    if artifact is not None:
        cmd += ["-e", f"hailo_inference_artifact={artifact}"]
    res = run([*cmd, *extra], timeout=timeout)
    print(res.out[-3000:])
    return res


def playbook(artifact: Path, *extra: str, timeout: int = 600) -> Result:
    """site.yml on the lab inventory with the lab vars and `artifact`."""
    return play(*extra, artifact=artifact, timeout=timeout)


def ad_hoc(host: str, module: str, args: str, timeout: int = 600) -> Result:
    """Run one Ansible module as root on one lab host (`ansible HOST -b -m MODULE -a ARGS`)."""
    cmd = [str(CTL / "ansible"), "-i", str(INVENTORY), host, "-b", "-m", module, "-a", args]
    return run(cmd, timeout=timeout)


def on_host(host: str, command: str) -> Result:
    """Run a shell command as root on one lab host.

    The Result's stdout is Ansible's ad-hoc report: a `HOST | CHANGED | rc=N >>` line, then the
    remote command's stdout, then its stderr glued on without a newline (the minimal callback);
    where the remote stdout is parsed and the command may complain, redirect its stderr on the
    host (`2>/dev/null`, or `2>&1` to keep it as lines of its own)."""
    return ad_hoc(host, "ansible.builtin.shell", command)


def current_release(host: str) -> str:
    """Where /opt/hailo-inference/current points on `host` (the active release's folder)."""
    res = on_host(host, "readlink /opt/hailo-inference/current")
    assert res.rc == 0, res.out
    return res.stdout.strip().splitlines()[-1]


def _build(seed: int) -> Path:
    out = WORK / "artifacts"
    p = subprocess.run(
        [
            str(PY),
            "-m",
            "edge_compiler",
            "build",
            "--recipe",
            "untrained",
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    path = Path(p.stdout.strip().splitlines()[-1])  # the builder prints the folder last
    assert (path / "manifest.json").exists(), p.stdout + p.stderr
    return path


def derive(src: Path, suffix: str) -> tuple[Path, dict]:
    """Copy an artifact under a new version (`<version>-<suffix>`); returns (path, manifest)."""
    manifest = json.loads((src / "manifest.json").read_text())
    manifest["model"]["version"] = f"{manifest['model']['version']}-{suffix}"
    dst = WORK / "derived" / manifest["model"]["name"] / manifest["model"]["version"]
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return dst, manifest


def _golden(artifact: Path, key: str, index: int) -> list:
    """One entry of the artifact's golden.npz (read with the project venv's numpy)."""
    p = subprocess.run(
        [
            str(PY),
            "-c",
            "import json,sys,numpy as np; "
            "print(json.dumps(np.load(sys.argv[1])[sys.argv[2]][int(sys.argv[3])].tolist()))",
            str(artifact / "golden.npz"),
            key,
            str(index),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(p.stdout)


def golden_window(artifact: Path, index: int = 0) -> list:
    return _golden(artifact, "x", index)


def golden_latent(artifact: Path, index: int = 0) -> list:
    """The artifact's expected latent for golden window `index`."""
    return _golden(artifact, "latent", index)


def model_ref(artifact: Path) -> str:
    m = json.loads((artifact / "manifest.json").read_text())["model"]
    return f"{m['name']}@{m['version']}"


def healthz(url: str) -> dict:
    try:
        r = requests.get(f"{url}/healthz", timeout=3)
        return r.json() if r.status_code == 200 else {"status": r.status_code}
    except requests.RequestException as exc:
        return {"error": repr(exc)}


def wait_ready(url: str, timeout: float = 60.0) -> float:
    """Seconds until /readyz answers 200 (raises after `timeout`)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return time.monotonic() - t0
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} not ready after {timeout:.0f} s")


def reboot_host(host: str) -> None:
    """Reboot one host and wait until it is back.

    On the lab: the lab harness's fault helper (`lab/fleet.py fault <host> reboot`: reboots the
    container and waits for systemd). Elsewhere: ansible.builtin.reboot, with PID 1's start time
    as the boot marker (inside a container the kernel's boot_id does not change on a reboot).
    """
    harness = ROOT / "lab" / "fleet.py"
    if INVENTORY.resolve() == (ROOT / "inventory" / "lab").resolve() and harness.exists():
        res = run(["python3", str(harness), "fault", host, "reboot"], timeout=300)
    else:
        args = {"boot_time_command": "cut -d' ' -f22 /proc/1/stat", "reboot_timeout": 180}
        res = ad_hoc(host, "ansible.builtin.reboot", json.dumps(args), timeout=240)
    assert res.rc == 0, res.out


def infer_matches_golden(url: str, artifact: Path, index: int = 0, atol: float = 1e-3) -> None:
    """One real POST /infer of a golden window; the answer has EdgeInfer's exact shape and
    matches the artifact's golden latent."""
    r = requests.post(f"{url}/infer", json={"x": golden_window(artifact, index)}, timeout=5)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"latent", "motif_scores"}, body.keys()
    assert len(body["latent"]) == 64 and len(body["motif_scores"]) == 12
    want = golden_latent(artifact, index)
    worst = max(abs(a - b) for a, b in zip(body["latent"], want, strict=True))
    assert worst <= atol, f"{url}: latent differs from the golden vector by {worst:.2e}"

#!/usr/bin/env python3
"""Measure an artifact-only update on 2..N lab edge hosts (issue 28 item 7): `make scale-run`.

Opt-in, root, takes the lab lock (/tmp/edge-lab.lock) for the whole session and always tears the
lab down. Lighter hosts than the default lab: edge only, onnx backend with one worker, no
accelerator (the Hailo path is verified against a fake, not on hardware, and not part of this
run). Steps:
  1. the wheelhouse and one artifact per measurement (untrained recipe, distinct seeds);
  2. lab up with max(SIZES) edge hosts; site.yml deploys artifact A everywhere (not measured);
  3. for each size n: site.yml with a new artifact on the first n hosts (-f n, forks = batch):
     wall time, remote operations per host (lab/scale/op_count.py callback) and the bytes the
     controller sent (tx_bytes of the lab bridge br-edgelab);
  4. the mirror run: the next artifact's archive is sent once to the first host, which serves it
     over HTTP (python3 -m http.server); the other hosts update with hailo_inference_mirror_url;
  5. lab down + verify-clean; results (JSON, Markdown table, PNG) under build/scale/.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from scale_fit import projections, table  # noqa: E402

CTL = ROOT / ".venv-ctl/bin"
PY = ROOT / ".venv/bin/python"
OUT = ROOT / "build/scale"
INVENTORY = ROOT / "inventory/lab/hosts.yml"
BRIDGE_TX = Path("/sys/class/net/br-edgelab/statistics/tx_bytes")
SIZES = [int(s) for s in os.environ.get("SCALE_SIZES", "2 4 8 16").split()]
MIRROR_PORT = 8089
LIGHT = ["-e", "hailo_inference_workers=1", "-e", "hailo_inference_backend=onnx"]


def log(msg: str) -> None:
    print(f"scale-run: {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[str], env: dict | None = None, timeout: int = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def build_artifact(seed: int) -> Path:
    r = sh([str(PY), "-m", "edge_compiler", "build", "--recipe", "untrained", "--seed", str(seed),
            "--out", str(OUT / "artifacts"), "--no-progress"])  # fmt: skip
    if r.returncode:
        raise SystemExit(f"scale-run: artifact build failed:\n{r.stdout}{r.stderr}")
    return Path(r.stdout.strip().splitlines()[-1])


def playbook(artifact: Path, hosts: list[str], forks: int, *extra: str) -> dict:
    ops_file = OUT / "ops.json"
    ops_file.unlink(missing_ok=True)
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "lab/scale"), ANSIBLE_CALLBACKS_ENABLED="op_count",
        SCALE_OPS_FILE=str(ops_file),
    )  # fmt: skip
    cmd = [str(CTL / "ansible-playbook"), "-i", str(INVENTORY), "site.yml", "-f", str(forks),
           "-l", ",".join(hosts), "-e", "@playbooks/vars/lab.yml", *LIGHT,
           "-e", f"hailo_inference_artifact={artifact}", *extra]  # fmt: skip
    tx0 = int(BRIDGE_TX.read_text())
    t0 = time.monotonic()
    r = sh(cmd, env=env)
    wall = time.monotonic() - t0
    tx = int(BRIDGE_TX.read_text()) - tx0
    (OUT / "last-run.log").write_text(r.stdout + r.stderr)
    if r.returncode:
        raise SystemExit(f"scale-run: site.yml failed on {hosts}:\n{(r.stdout + r.stderr)[-4000:]}")
    ops = json.loads(ops_file.read_text()) if ops_file.is_file() else {"hosts": {}}
    per_host = [ops["hosts"].get(h, 0) for h in hosts]
    by_task = ops.get("by_task", {}).get(hosts[-1], {})
    return {"hosts": len(hosts), "wall_s": wall, "tx_bytes": tx,
            "ops_per_host": sum(per_host) / len(per_host), "ops_min": min(per_host),
            "ops_max": max(per_host), "by_task": by_task}  # fmt: skip


def ad_hoc(host: str, module: str, args: str) -> None:
    r = sh([str(CTL / "ansible"), "-i", str(INVENTORY), host, "-b", "-m", module, "-a", args],
           env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")))  # fmt: skip
    if r.returncode:
        raise SystemExit(f"scale-run: {module} on {host} failed:\n{r.stdout}{r.stderr}")


def lab_address(spec: str, name: str) -> str:
    sys.path.insert(0, str(ROOT / "lab"))
    import fleet  # the lab's own address plan

    return next(h["address"] for h in fleet.parse_hosts(spec) if h["name"] == name)


def mirror_run(artifact: Path, names: list[str], address: str) -> dict:
    """The first host is the site mirror: the controller sends it the archive once."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "artifact"))
    r = sh([str(PY), "-m", "edge_artifact", "pack", str(artifact), str(OUT / "push")], env=env)
    info = json.loads(r.stdout)
    tx0 = int(BRIDGE_TX.read_text())
    ad_hoc(names[0], "ansible.builtin.file", "path=/srv/mirror/artifacts state=directory mode=0755")
    ad_hoc(names[0], "ansible.builtin.copy",
           f"src={info['path']} dest=/srv/mirror/artifacts/{info['name']} mode=0644")  # fmt: skip
    ad_hoc(names[0], "ansible.builtin.command",
           f"systemd-run --unit=scale-mirror python3 -m http.server {MIRROR_PORT} "
           "--directory /srv/mirror")  # fmt: skip
    seed_tx = int(BRIDGE_TX.read_text()) - tx0
    row = playbook(artifact, names[1:], len(names) - 1,
                   "-e", f"hailo_inference_mirror_url=http://{address}:{MIRROR_PORT}/")  # fmt: skip
    return {**row, "mirror_seed_tx_bytes": seed_tx, "archive_bytes": info["bytes"]}


def plot(rows: list[dict], proj: dict, path: Path) -> None:
    code = f"""
import json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows, proj = json.loads({json.dumps(json.dumps(rows))}), json.loads({json.dumps(json.dumps(proj))})
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
xs = [r["hosts"] for r in rows]
a, b = next(iter(proj.values()))["wall_fit"]
ta, tb = next(iter(proj.values()))["tx_fit"]
top = max(int(k) for k in proj)
ax[0].plot(xs, [r["wall_s"] for r in rows], "o", label="measured")
ax[0].plot([0, top], [a, a + b * top], "-", label=f"fit {{a:.1f}} s + {{b:.2f}} s/host")
ax[0].axhline(180, ls=":", c="grey", label="goal: 100 Pis in 3 min")
ax[0].set(xscale="symlog", yscale="symlog", xlabel="edge hosts", ylabel="wall time (s)")
ax[1].plot(xs, [r["tx_bytes"] / 1e6 for r in rows], "o", label="measured")
ax[1].plot([0, top], [ta / 1e6, (ta + tb * top) / 1e6], "-", label="fit")
ax[1].set(xscale="symlog", yscale="symlog", xlabel="edge hosts", ylabel="controller MB sent")
for a_ in ax: a_.legend(); a_.grid(True, which="both", alpha=.3)
fig.suptitle("artifact-only update on the lab (onnx, 1 worker; not on Pis)")
fig.tight_layout(); fig.savefig({str(path)!r}, dpi=100)
"""
    r = sh([str(PY), "-c", code])
    if r.returncode:
        log(f"plot failed: {r.stderr[-500:]}")


def main() -> int:
    if os.geteuid() != 0:
        raise SystemExit(
            "scale-run: run as root (the lab needs systemd-nspawn): sudo make scale-run"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    top = max(SIZES)
    names = [f"pi-s-{i}" for i in range(1, top + 1)]
    r = sh(["bash", "scripts/wheelhouse.sh", "x86_64-cp311"])
    if r.returncode:
        raise SystemExit(f"scale-run: wheelhouse failed:\n{r.stdout}{r.stderr}")
    seeds = 900 + int(time.time()) % 1000 * 10  # new artifacts each session
    arts = [build_artifact(seeds + i) for i in range(len(SIZES) + 2)]
    log(f"artifacts built: {[a.name for a in arts]}; waiting for the lab lock")
    lock = open("/tmp/edge-lab.lock", "w")  # noqa: SIM115 (held for the whole session)
    fcntl.flock(lock, fcntl.LOCK_EX)
    rows: list[dict] = []
    result: dict = {"sizes": SIZES}
    try:
        spec = " ".join(f"{n}:edge" for n in names)
        t0 = time.monotonic()
        up = sh(["python3", "lab/fleet.py", "up", "--hosts", spec])
        if up.returncode:
            raise SystemExit(f"scale-run: lab up failed:\n{up.stderr[-3000:]}")
        result["lab_up_s"] = time.monotonic() - t0
        log(f"lab up ({top} hosts) in {result['lab_up_s']:.0f} s; first deploy")
        result["first_deploy"] = playbook(arts[0], names, top)
        log(f"first deploy: {result['first_deploy']['wall_s']:.0f} s")
        for i, n in enumerate(SIZES):
            row = playbook(arts[i + 1], names[:n], n)
            rows.append(row)
            log(f"{n} hosts: {row['wall_s']:.1f} s, {row['ops_per_host']:.0f} ops/host, "
                f"{row['tx_bytes'] / 1e6:.2f} MB")  # fmt: skip
        result["rows"] = rows
        # a config-only release on the first two hosts: the artifact is hard-linked on the host
        result["config_only"] = playbook(arts[SIZES.__len__()], names[:2], 2,
                                         "-e", "hailo_inference_log_level=warning")  # fmt: skip
        log(f"config-only: {result['config_only']['wall_s']:.1f} s, "
            f"{result['config_only']['tx_bytes'] / 1e6:.2f} MB")  # fmt: skip
        result["mirror"] = mirror_run(arts[-1], names, lab_address(spec, names[0]))
        log(f"mirror run: {result['mirror']}")
    finally:
        sh(["python3", "lab/fleet.py", "down"])
        clean = sh(["python3", "lab/fleet.py", "verify-clean"])
        fcntl.flock(lock, fcntl.LOCK_UN)
        result["verify_clean"] = clean.returncode == 0
        (OUT / "result.json").write_text(json.dumps(result, indent=1, default=str))
    proj = projections(rows, [100, 1000])
    result["projections"] = proj
    (OUT / "result.json").write_text(json.dumps(result, indent=1, default=str))
    plot(rows, proj, OUT / "scale.png")
    md = table(rows, proj)
    (OUT / "table.md").write_text(md + "\n")
    print(md)
    print(json.dumps({k: v for k, v in result.items() if k not in ("rows", "projections")},
                     indent=1, default=str))  # fmt: skip
    return 0 if result["verify_clean"] else 1


if __name__ == "__main__":
    sys.exit(main())

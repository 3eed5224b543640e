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
Per run also: the controller's CPU seconds (ansible-playbook in its own cgroup, lab/scale/cpu.py)
and its main process's alone, the hosts' CPU seconds (their nspawn cgroup, less the idle rate
measured before the runs), each serial batch's duration (the canary batch: one host's critical
path). scripts/scale_fit.py turns them into the LAN model's terms.
Environment: SCALE_SIZES ("2 4 8 16"), SCALE_EXTRAS=0 skips the config-only and mirror runs,
SCALE_BUDGET_S stops starting new runs after that many seconds of lab session and kills a run
still going 8 min later (then tears down),
SCALE_LOCK_WAIT_S gives up (exit 75) if the lab lock is not free by then,
SCALE_SLICES="2 4" then runs the same update on max(SIZES) hosts through scripts/rollout.py with
that many processes per later batch (a new artifact each; the per-slice main-process CPU is in
its report),
SCALE_OP_COST=1 measures on the first host what one module run and one daemon restart cost (the
host's CPU and the controller's: a playbook of 1, then 21 stat runs; 3 restarts), the unit
prices that project a cut of the ops per host,
SCALE_PROFILE=1 runs each measured ansible-playbook under cProfile (its main process only: the
forked workers do not write) and writes build/scale/profile/<n>.pstats; the CPU figures of such a
session are inflated by the profiler and its result goes to build/scale/profile/result.json, not
beside the reported one.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "lab" / "scale"))
import cpu  # noqa: E402
from scale_fit import (  # noqa: E402
    PI5_FACTOR_CITED,
    OpPrice,
    Terms,
    cores_for,
    lan_table,
    lan_wall,
    line_points,
    ops_to_cut,
    projections,
    rollout_batches,
    shared_wall,
    sliced_table,
    slices_for,
    table,
    terms_from_rows,
    terms_table,
)

CTL = ROOT / ".venv-ctl/bin"
PY = ROOT / ".venv/bin/python"
PROFILE = os.environ.get("SCALE_PROFILE", "0") == "1"
OUT = ROOT / "build/scale"
RESULTS = OUT / "profile" if PROFILE else OUT  # result.json, table.md, scale.png, *.pstats
PUSH = ROOT / "build/artifact-push"  # hailo_inference_push_dir's default
INVENTORY = ROOT / "inventory/lab/hosts.yml"
BRIDGE_TX = Path("/sys/class/net/br-edgelab/statistics/tx_bytes")
SIZES = [int(s) for s in os.environ.get("SCALE_SIZES", "2 4 8 16").split()]
MIRROR_PORT = 8089
PLOT_XS = [1, 2, 4, 8, 16, 32, 64, 100, 200, 500, 1000]  # log axes: many points per line
EXTRAS = os.environ.get("SCALE_EXTRAS", "1") != "0"
SLICES = [int(s) for s in os.environ.get("SCALE_SLICES", "").split()]
OP_COST = os.environ.get("SCALE_OP_COST", "0") == "1"
BUDGET_S = float(os.environ.get("SCALE_BUDGET_S", "0")) or None
LOCK_WAIT_S = float(os.environ.get("SCALE_LOCK_WAIT_S", "0")) or None

IDLE_S = 20  # the hosts' idle CPU rate is measured over this long before the runs
CTL_CGROUP = cpu.Cgroup("edge-scale-ctl")
HOSTS_CGROUPS: list[Path] = []  # set once the lab is up
STATE = {"idle_host_cpu_per_s": 0.0, "deadline": None}
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


def measured(cmd: list[str], env: dict, what: str) -> dict:
    """Run `cmd` in the controller's cgroup: wall, the controller's CPU (cgroup), its direct
    child's own CPU (read once it has exited, before it is reaped), the hosts' CPU, bytes sent."""
    timeout = None if STATE["deadline"] is None else max(STATE["deadline"] - time.monotonic(), 60)
    tx0 = int(BRIDGE_TX.read_text())
    ctl0, hosts0 = CTL_CGROUP.usage_s(), cpu.usage_s(HOSTS_CGROUPS)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(OUT / "last-run.log", "w") as log_file:
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                             preexec_fn=CTL_CGROUP.join)  # fmt: skip
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                if deadline is not None and time.monotonic() > deadline:
                    p.kill()
                time.sleep(0.05)
            main_cpu = cpu.stat_cpu_s(Path(f"/proc/{p.pid}/stat").read_text())
        finally:
            rc = p.wait()
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    hosts_cpu = cpu.usage_s(HOSTS_CGROUPS) - hosts0
    if rc:
        out = (OUT / "last-run.log").read_text()
        raise SystemExit(f"scale-run: {what} failed (rc {rc}):\n{out[-4000:]}")
    return {"wall_s": wall, "tx_bytes": int(BRIDGE_TX.read_text()) - tx0,
            "ctl_cpu_s": CTL_CGROUP.usage_s() - ctl0, "main_cpu_s": main_cpu,
            "ctl_rusage_s": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime,
            "hosts_cpu_raw_s": hosts_cpu,
            "hosts_cpu_s": hosts_cpu - STATE["idle_host_cpu_per_s"] * wall}  # fmt: skip


def playbook(artifact: Path, hosts: list[str], forks: int, *extra: str) -> dict:
    ops_file = OUT / "ops.json"
    ops_file.unlink(missing_ok=True)
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "lab/scale"), ANSIBLE_CALLBACKS_ENABLED="op_count",
        SCALE_OPS_FILE=str(ops_file),
    )  # fmt: skip
    prof = ["-m", "cProfile", "-o", str(RESULTS / f"{len(hosts)}.pstats")] if PROFILE else []
    cmd = [str(CTL / "python"), *prof, str(CTL / "ansible-playbook"), "-i", str(INVENTORY),
           "site.yml", "-f", str(forks),
           "-l", ",".join(hosts), "-e", "@playbooks/vars/lab.yml", *LIGHT,
           "-e", f"hailo_inference_artifact={artifact}", *extra]  # fmt: skip
    m = measured(cmd, env, f"site.yml on {hosts}")
    ops = json.loads(ops_file.read_text()) if ops_file.is_file() else {"hosts": {}}
    per_host = [ops["hosts"].get(h, 0) for h in hosts]
    by_task = ops.get("by_task", {}).get(hosts[-1], {})
    evaluated = [ops.get("evaluated", {}).get(h, 0) for h in hosts]
    batches = [{"hosts": len(b["hosts"]), "seconds": b["end_s"] - b["start_s"]}
               for b in rollout_batches(ops.get("plays", []))]  # fmt: skip
    return {"hosts": len(hosts), **m,
            "ops_per_host": sum(per_host) / len(per_host), "ops_min": min(per_host),
            "ops_max": max(per_host), "evaluated_per_host": sum(evaluated) / len(evaluated),
            "by_task": by_task, "actions": ops.get("actions", {}),
            "canary_task_s": ops.get("task_s", {}).get(hosts[0], {}),
            "batches": batches}  # fmt: skip


def sliced(artifact: Path, hosts: list[str], slices: int) -> dict:
    """The same update through scripts/rollout.py with `slices` processes per later batch; the
    main-process CPU of each slice (its report) gives the per-process figure."""
    report = OUT / f"rollout-{slices}.json"
    ops_dir = OUT / f"ops-sliced-{slices}"
    shutil.rmtree(ops_dir, ignore_errors=True)
    ops_dir.mkdir(parents=True)
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "lab/scale"), ANSIBLE_CALLBACKS_ENABLED="op_count",
        SCALE_OPS_FILE=str(ops_dir / "{pid}.json"),
    )  # fmt: skip
    cmd = [str(CTL / "python"), str(ROOT / "scripts/rollout.py"), "--slices", str(slices),
           "-i", str(INVENTORY), "-l", ",".join(hosts), "--artifact", str(artifact),
           "--report", str(report), "--", "-e", "@playbooks/vars/lab.yml", *LIGHT]  # fmt: skip
    m = measured(cmd, env, f"rollout.py --slices {slices} on {hosts}")
    run = json.loads(report.read_text())
    by_batch: dict[int, list[dict]] = {}
    for r in run["runs"]:
        by_batch.setdefault(r["batch"], []).append(r)
    batches = [{"hosts": sum(len(r["hosts"]) for r in rs), "slices": len(rs),
                "seconds": max(r["seconds"] for r in rs),
                "main_cpu_s": [r["main_cpu_s"] for r in rs],
                "slice_hosts": [len(r["hosts"]) for r in rs]}
               for _, rs in sorted(by_batch.items())]  # fmt: skip
    main_per_host = sum(r["main_cpu_s"] for r in run["runs"]) / len(hosts)
    canary = [json.loads(f.read_text()) for f in sorted(ops_dir.glob("*.json"))]
    canary = [c for c in canary if hosts[0] in c.get("task_s", {})]
    return {"hosts": len(hosts), "slices": slices, **m, "wrapper_cpu_s": m["main_cpu_s"],
            "main_cpu_per_host_s": main_per_host, "batches": batches,
            "canary_task_s": canary[0]["task_s"][hosts[0]] if canary else {},
            "canary_plays": canary[0].get("plays", []) if canary else []}  # fmt: skip


def prepack(artifact: Path) -> None:
    """Pack the artifact into the role's push folder before the lab (pack reuses an archive by
    its name), checking the archive holds exactly the files pack lists: a stale or partial
    archive there would be sent to every host and refused on each."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "artifact"))
    for _attempt in (1, 2):
        r = sh([str(PY), "-m", "edge_artifact", "pack", str(artifact), str(PUSH)], env=env)
        if r.returncode:
            raise SystemExit(f"scale-run: pack of {artifact} failed:\n{r.stdout}{r.stderr}")
        info = json.loads(r.stdout)
        with tarfile.open(info["path"]) as tar:
            members = sorted(tar.getnames())
        if members == sorted(info["files"]):
            return
        log(f"{info['path']} holds {members}, pack lists {info['files']}: packed again")
        Path(info["path"]).unlink()
    raise SystemExit(f"scale-run: the archive of {artifact} does not hold its files: fix pack")


def extra_runs(
    arts: list[Path], names: list[str], spec: str, result: dict, session0: float
) -> None:
    """After the sizes: sliced rollouts (SCALE_SLICES), the op cost (SCALE_OP_COST), then the
    config-only and mirror runs (SCALE_EXTRAS); arts: config-only, mirror, then one per slice."""
    sliced_rows(arts[2:], names, result, session0)
    if OP_COST and not out_of_budget(session0):
        cost = result["op_cost"] = op_cost(names[0])
        log(f"op cost: {cost['per_op']}, restart {cost['per_restart']}")
    if EXTRAS and not out_of_budget(session0):
        # a config-only release on the first two hosts: the artifact is hard-linked
        level = ["-e", "hailo_inference_log_level=warning"]
        result["config_only"] = playbook(arts[0], names[:2], 2, *level)
        log(f"config-only: {result['config_only']['wall_s']:.1f} s, "
            f"{result['config_only']['tx_bytes'] / 1e6:.2f} MB")  # fmt: skip
        result["mirror"] = mirror_run(arts[1], names, lab_address(spec, names[0]))
        log(f"mirror run: {result['mirror']}")


def sliced_rows(arts: list[Path], names: list[str], result: dict, session0: float) -> None:
    """SCALE_SLICES: the update on every host through scripts/rollout.py, per slice count."""
    for j, k in enumerate(SLICES):
        if out_of_budget(session0):
            log(f"budget spent: --slices {SLICES[j:]} not run")
            return
        row = sliced(arts[j], names, k)
        result.setdefault("sliced", []).append(row)
        log(f"{len(names)} hosts, {k} slices: {row['wall_s']:.1f} s, controller CPU "
            f"{row['ctl_cpu_s']:.1f} s, main CPU per host {row['main_cpu_per_host_s']:.2f} s, "
            f"batches {row['batches']}")  # fmt: skip


OP_COST_PLAY = """- name: One stat per item (scale-run's op cost)
  hosts: "{host}"
  gather_facts: false
  become: true
  tasks:
    - name: Stat
      ansible.builtin.stat:
        path: /opt/hailo-inference/current
      loop: "{{{{ range({n}) | list }}}}"
    - name: Restart the daemon (waits for READY=1, Type=notify)
      ansible.builtin.systemd_service:
        name: hailo-inference
        state: restarted
      loop: "{{{{ range({restarts}) | list }}}}"
"""


def op_cost(host: str) -> dict:
    """What one module run and one daemon restart cost on `host` and on the controller: the
    difference between playbooks of 1 and 21 stat runs (start-up cancels out), then of 0 and 3
    restarts (each also one module run, subtracted)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    runs = {}
    for key, n, restarts in (("base", 1, 0), ("stats", 21, 0), ("restarts", 1, 3)):
        play = OUT / f"op-cost-{key}.yml"
        play.write_text(OP_COST_PLAY.format(host=host, n=n, restarts=restarts))
        cmd = [str(CTL / "ansible-playbook"), "-i", str(INVENTORY), str(play)]
        runs[key] = measured(cmd, env, f"op cost ({key}) on {host}")
    per_op = {k: (runs["stats"][k] - runs["base"][k]) / 20 for k in ("hosts_cpu_s", "ctl_cpu_s",
                                                                        "wall_s")}  # fmt: skip
    per_restart = {k: (runs["restarts"][k] - runs["base"][k]) / 3 - per_op[k] for k in per_op}
    return {"per_op": per_op, "per_restart": per_restart, "runs": runs}


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


def plot(rows: list[dict], proj: dict, curves: dict[str, list[list[float]]], path: Path) -> None:
    code = f"""
import json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows, proj = json.loads({json.dumps(json.dumps(rows))}), json.loads({json.dumps(json.dumps(proj))})
curves = json.loads({json.dumps(json.dumps(curves))})
fig, ax = plt.subplots(1, 2, figsize=(11, 4.5))
xs = [r["hosts"] for r in rows]
a, b = next(iter(proj.values()))["wall_fit"]
ta, tb = next(iter(proj.values()))["tx_fit"]
top = max(int(k) for k in proj)
ax[0].plot(xs, [r["wall_s"] for r in rows], "o", label="measured (lab, shared 2 cores)")
for label, pts in curves.items():
    ax[0].plot([p[0] for p in pts], [p[1] for p in pts], "--", label=label)
ax[0].axhline(180, ls=":", c="grey", label="goal: 100 Pis in 3 min")
ax[0].axvline(100, ls=":", c="grey")
ax[0].set(xscale="log", yscale="log", xlabel="edge hosts", ylabel="wall time (s)")
ax[1].plot(xs, [r["tx_bytes"] / 1e6 for r in rows], "o", label="measured")
ax[1].plot([1, top], [(ta + tb) / 1e6, (ta + tb * top) / 1e6], "-", label="fit")
ax[1].set(xscale="log", yscale="log", xlabel="edge hosts", ylabel="controller MB sent")
for a_ in ax: a_.legend(fontsize=7); a_.grid(True, which="both", alpha=.3)
fig.suptitle("artifact-only update: lab measurements (onnx, 1 worker; not on Pis), LAN model")
fig.tight_layout(); fig.savefig({str(path)!r}, dpi=100)
"""
    r = sh([str(PY), "-c", code])
    if r.returncode:
        log(f"plot failed: {r.stderr[-500:]}")


def report(result: dict) -> str:
    """table.md and scale.png from result.json: the measured rows, the naive line, the LAN model's
    terms and projections (also `scale-run.py --report` without a lab)."""
    rows = result["rows"]
    targets, cores = [100, 1000], [2, 4, 8, 16, 32]
    proj = projections(rows, targets)
    result["projections"] = proj
    md = [table(rows, proj), ""]
    if all("batches" in r for r in rows):
        t = terms_from_rows(rows)
        result["lan_terms"] = t.__dict__
        md += [
            "| edge hosts | batches (s) | controller CPU (s) | of which main process (s) | "
            "hosts' CPU above idle (s) | check: same terms on 2 shared cores (s) |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for r in rows:
            bs = " + ".join(f"{b['seconds']:.1f} ({b['hosts']})" for b in r["batches"])
            check = shared_wall(r["hosts"], t, 2)
            md.append(f"| {r['hosts']} | {bs} | {r['ctl_cpu_s']:.1f} | {r['main_cpu_s']:.1f} | "
                      f"{r['hosts_cpu_s']:.1f} | {check:.0f} |")  # fmt: skip
        md += ["", "Terms: " + ", ".join(f"{k} {v:.3g}" for k, v in t.__dict__.items()), ""]
        md.append(lan_table(t, targets, cores, proj))
        md += ["", terms_table(t, targets, cores)]
        md += ["", "Fewest controller cores for the goal (1 Gbit/s link): " + ", ".join(
            f"{n} Pis in <= 180 s: {cores_for(n, t, 180) or 'none'}" for n in targets)]  # fmt: skip
        curves = {f"LAN model, {k} cores": [[x, lan_wall(x, t, k)] for x in PLOT_XS]
                  for k in (2, 8)}  # fmt: skip
        md += ["", *sliced_report(result.get("sliced", []), t, targets)]
        if "op_cost" in result:
            ops = min(round(r["ops_per_host"]) for r in rows)
            md += ops_report(result["op_cost"], t, ops)
        for f in (1.0, PI5_FACTOR_CITED):
            curves[f"LAN model, 32 cores, 16 slices, Pi x{f:g}"] = [
                [x, lan_wall(x, t, 32, slices=16, pi_factor=f)] for x in PLOT_XS]  # fmt: skip
    else:
        curves = {}
    a, b = proj[targets[0]]["wall_fit"]
    naive = {f"naive line {a:.1f} s + {b:.2f} s/host": line_points((a, b), PLOT_XS)}
    plot(rows, proj, {**naive, **curves}, RESULTS / "scale.png")
    text = "\n".join(md)
    (RESULTS / "table.md").write_text(text + "\n")
    return text


def sliced_report(runs: list[dict], t: object, targets: list[int]) -> list[str]:
    """The sliced runs measured (scripts/rollout.py) and the LAN model with slices and with a
    Pi's slower core (scale_fit.PI5_FACTOR_CITED)."""
    md = []
    if runs:
        md += [
            "| edge hosts | slices | wall (s) | controller CPU (s) | main processes' CPU per "
            "host (s) | batches: hosts in processes, seconds |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for r in runs:
            bs = " + ".join(f"{b['slice_hosts']} {b['seconds']:.1f}" for b in r["batches"])
            md.append(
                f"| {r['hosts']} | {r['slices']} | {r['wall_s']:.1f} | {r['ctl_cpu_s']:.1f} | "
                f"{r['main_cpu_per_host_s']:.2f} | {bs} |"
            )
        md.append("")
    cores = [8, 16, 32]
    for f in (1.0, PI5_FACTOR_CITED):
        md += [f"LAN model, sliced (Pi core x{f:g} the lab's):", "",
               sliced_table(t, targets, cores, [1, 4, 8, 16], pi_factor=f), ""]  # fmt: skip
        fewest = [f"{c} cores: {slices_for(100, t, 180, c, pi_factor=f) or 'none'}" for c in cores]
        md.append(f"Fewest slices for 100 Pis in <= 180 s (Pi x{f:g}): " + ", ".join(fewest))
        md.append("")
    return md


def ops_report(cost: dict, t: Terms, ops: int) -> list[str]:
    """The op price measured (SCALE_OP_COST) and how many module runs per host must go for 100
    Pis in 3 min (scale_fit.ops_to_cut), per controller cores, slices and Pi factor."""
    po, pr = cost["per_op"], cost["per_restart"]
    price = OpPrice(wall_s=po["wall_s"], host_cpu_s=po["hosts_cpu_s"], ctl_cpu_s=po["ctl_cpu_s"])
    head = (
        f"One module run (a stat): {po['wall_s']:.3f} s wall, host CPU {po['hosts_cpu_s']:.3f} s, "
        f"controller CPU {po['ctl_cpu_s']:.3f} s; a daemon restart on top: "
        f"{pr['wall_s']:.2f} s wall, host CPU {pr['hosts_cpu_s']:.2f} s."
    )
    md = [head, "", f"| controller cores | slices | Pi x1 | Pi x2 | Pi x{PI5_FACTOR_CITED:g} |",
          "|---:|---:|---:|---:|---:|"]  # fmt: skip
    for cores in (8, 16, 32):
        for k in (8, 16):
            cut = [ops_to_cut(100, t, price, 180, cores, k, pi_factor=f, most=ops)
                   for f in (1.0, 2.0, PI5_FACTOR_CITED)]  # fmt: skip
            md.append(f"| {cores} | {k} | " + " | ".join(
                "none" if c is None else str(c) for c in cut) + " |")  # fmt: skip
    title = f"Module runs per host (of {ops}) to remove for 100 Pis in <= 180 s (none: not enough):"
    return ["", title, "", *md, ""]


def measure_idle(seconds: float) -> float:
    """The hosts' CPU seconds per second with no run going (their idle daemons)."""
    h0, t0 = cpu.usage_s(HOSTS_CGROUPS), time.monotonic()
    time.sleep(seconds)
    return (cpu.usage_s(HOSTS_CGROUPS) - h0) / (time.monotonic() - t0)


def find_hosts_cgroups(names: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "lab"))
    import fleet

    try:
        HOSTS_CGROUPS[:] = cpu.hosts_cgroups([fleet.leader_pid(n) or 0 for n in names])
    except (SystemExit, OSError, ValueError) as e:  # measure the rest all the same
        log(f"the hosts' CPU is not counted: {e}")


def take_lock() -> object:
    lock = open("/tmp/edge-lab.lock", "w")  # noqa: SIM115 (held for the whole session)
    t0 = time.monotonic()
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if LOCK_WAIT_S is not None and time.monotonic() - t0 > LOCK_WAIT_S:
                log(f"the lab lock was not free within {LOCK_WAIT_S:.0f} s: nothing run")
                raise SystemExit(75) from None
            time.sleep(5)


def out_of_budget(t0: float) -> bool:
    return BUDGET_S is not None and time.monotonic() - t0 > BUDGET_S


def main() -> int:
    if "--report" in sys.argv:  # the tables and plot again from build/scale/result.json
        result = json.loads((RESULTS / "result.json").read_text())
        print(report(result))
        (RESULTS / "result.json").write_text(json.dumps(result, indent=1, default=str))
        return 0
    return session()


def session() -> int:
    if os.geteuid() != 0:
        raise SystemExit(
            "scale-run: run as root (the lab needs systemd-nspawn): sudo make scale-run"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    top = max(SIZES)
    names = [f"pi-s-{i}" for i in range(1, top + 1)]
    r = sh(["bash", "scripts/wheelhouse.sh", "x86_64-cp311"])
    if r.returncode:
        raise SystemExit(f"scale-run: wheelhouse failed:\n{r.stdout}{r.stderr}")
    seeds = 900 + int(time.time()) % 1000 * 10  # new artifacts each session
    arts = [build_artifact(seeds + i) for i in range(len(SIZES) + 2 + len(SLICES))]
    for art in arts:
        prepack(art)
    log(f"artifacts built: {[a.name for a in arts]}; waiting for the lab lock")
    lock = take_lock()
    rows: list[dict] = []
    result: dict = {"sizes": SIZES, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "controller_cores": os.cpu_count(), "light_hosts": LIGHT}  # fmt: skip
    session0 = time.monotonic()
    if BUDGET_S is not None:  # a run started within the budget may take 8 min more, then killed
        STATE["deadline"] = session0 + BUDGET_S + 480
    CTL_CGROUP.__enter__()  # left after lab down: the ssh masters exit with the hosts
    try:
        spec = " ".join(f"{n}:edge" for n in names)
        up = sh(["python3", "lab/fleet.py", "up", "--hosts", spec])
        if up.returncode:
            raise SystemExit(f"scale-run: lab up failed:\n{up.stderr[-3000:]}")
        result["lab_up_s"] = time.monotonic() - session0
        find_hosts_cgroups(names)
        result["hosts_cgroups"] = [str(c) for c in HOSTS_CGROUPS]
        log(f"lab up ({top} hosts) in {result['lab_up_s']:.0f} s; hosts' cgroups "
            f"{result['hosts_cgroups']}; first deploy")  # fmt: skip
        result["first_deploy"] = playbook(arts[0], names, top)
        log(f"first deploy: {result['first_deploy']['wall_s']:.0f} s")
        STATE["idle_host_cpu_per_s"] = result["idle_host_cpu_per_s"] = measure_idle(IDLE_S)
        for i, n in enumerate(SIZES):
            if out_of_budget(session0):
                log(f"budget of {BUDGET_S:.0f} s spent: {n} hosts and later not run")
                result["not_run"] = SIZES[i:]
                break
            row = playbook(arts[i + 1], names[:n], n)
            rows.append(row)
            result["rows"] = rows
            log(f"{n} hosts: {row['wall_s']:.1f} s, {row['ops_per_host']:.0f} ops/host, "
                f"{row['tx_bytes'] / 1e6:.2f} MB, controller CPU {row['ctl_cpu_s']:.1f} s "
                f"(main {row['main_cpu_s']:.1f} s), hosts CPU {row['hosts_cpu_s']:.1f} s, "
                f"batches {row['batches']}")  # fmt: skip
        extra_runs(arts[len(SIZES) :], names, spec, result, session0)
    finally:
        sh(["python3", "lab/fleet.py", "down"])
        clean = sh(["python3", "lab/fleet.py", "verify-clean"])
        fcntl.flock(lock, fcntl.LOCK_UN)
        for _ in range(90):  # ControlPersist masters: idle ones exit after 60 s
            if not CTL_CGROUP.procs():
                break
            time.sleep(1)
        CTL_CGROUP.__exit__()
        result["lab_session_s"] = time.monotonic() - session0
        result["verify_clean"] = clean.returncode == 0
        if not result["verify_clean"]:
            log(f"verify-clean FAILED:\n{clean.stdout}{clean.stderr}")
        (RESULTS / "result.json").write_text(json.dumps(result, indent=1, default=str))
    if len(rows) >= 2:
        print(report(result))
    (RESULTS / "result.json").write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps({k: v for k, v in result.items() if k not in ("rows", "projections")},
                     indent=1, default=str))  # fmt: skip
    return 0 if result["verify_clean"] else 1


if __name__ == "__main__":
    sys.exit(main())

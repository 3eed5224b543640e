#!/usr/bin/env python3
"""A sliced rollout: site.yml's batches, each run by several ansible-playbook processes.

    .venv-ctl/bin/python scripts/rollout.py --slices 8 [-i INVENTORY] [-l LIMIT]
        [--artifact DIR] [--report FILE] [-- ansible-playbook options, e.g. --check -e k=v]

Why: Ansible's strategy loop is one process per ansible-playbook run and costs the controller
~3.6 s of CPU per host for an artifact-only update (docs/performance.md, measured): 100 Pis need
~6 min of it, whatever the controller's cores. Splitting each batch over K processes (what AWX
calls job slicing) divides that by K. `ansible-playbook site.yml` stays the rollout for a small
fleet; this runs the same site.yml, with the same rules, batch by batch:

- the batches are site.yml's own (`edge_rollout_serial`, playbooks/vars/rollout.yml, or
  --serial), cut by ansible-core's own PlaybookExecutor._get_serialized_batches;
- the first batch (the canary) runs alone, in one process; every later batch is split into up to
  K contiguous slices (inventory order) run at once, each `site.yml -l <slice>` with
  edge_rollout_serial ["100%"] and edge_rollout_canary_done; a batch starts only when every
  slice of the previous one passed, so a failed health gate (rolled back on its host by the
  role) stops the rollout after the batch it is in, as in one process;
- the artifact (newest complete, edge_artifact's rule, or --artifact) and the wheelhouse (one
  copy under build/deploy-runs/) are pinned once for every process, as site.yml pins them for its
  batches; the copy is removed at the end;
- hosts that do not answer SSH: the canary batch must answer whole (site.yml's rule); later
  slices may skip what is left of edge_rollout_max_unreachable (--max-unreachable, else the
  inventory's value, else "5%"; a count or a percent of the whole rollout) each, and the
  batch's total is checked before the next batch starts (a site outage stops the rollout one
  batch later than in one process, never later);
- each process writes its log to build/deploy-runs/<run>/<batch>-<slice>.log and its summary as
  JSON (edge_rollout_report_file); the run prints one line per slice and the combined summary,
  and --report writes it all as JSON.
Exit status: 0 every batch passed; 1 bad input; 2 the rollout stopped (what and where printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# .venv-ctl/bin (ansible, ansible-playbook); ROLLOUT_ANSIBLE_BIN: another folder (the unit tests')
BIN = Path(os.environ.get("ROLLOUT_ANSIBLE_BIN", Path(sys.executable).parent))
RUNS = Path(os.environ.get("ROLLOUT_RUNS_DIR", ROOT / "build" / "deploy-runs"))  # logs, the pin
OWN_VARS = ("edge_rollout_serial", "edge_rollout_canary_done", "edge_rollout_report_file",
            "edge_rollout_wheelhouse_pin", "edge_rollout_max_unreachable",
            "hailo_inference_artifact")  # fmt: skip


class RolloutError(SystemExit):
    def __init__(self, msg: str) -> None:
        super().__init__(f"rollout: {msg}")


@dataclass
class Slice:
    batch: int
    index: int
    hosts: list[str]
    rc: int | None = None
    seconds: float = 0.0
    main_cpu_s: float = 0.0
    log: str = ""
    summary: dict = field(default_factory=dict)


def inventory_args(inventories: list[str]) -> list[str]:
    return [arg for inv in inventories for arg in ("-i", inv)]


def edge_hosts(inventories: list[str], limit: str | None) -> list[str]:
    """The edge group's hosts in inventory order under --limit, as the play sees them (stdout of
    `ansible edge --list-hosts`: a header line, then one host per line)."""
    cmd = [str(BIN / "ansible"), *inventory_args(inventories), "edge", "--list-hosts"]
    cmd += ["--limit", limit] if limit else []
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if r.returncode:
        raise RolloutError(f"listing the edge hosts failed ({' '.join(cmd)}):\n{r.stderr}")
    lines = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
    hosts = [ln for ln in lines if not ln.startswith("hosts (")]
    if not hosts:
        raise RolloutError(f"no edge host in {', '.join(inventories)} under --limit {limit!r}")
    return hosts


def batches(hosts: list[str], serial: list) -> list[list[str]]:
    """ansible-core's own batches for `serial` over `hosts` (the play's keyword, same code)."""
    from ansible.executor.playbook_executor import PlaybookExecutor

    def get_hosts(pattern: str, order: object = None) -> list[str]:
        return list(hosts)

    me = types.SimpleNamespace(_inventory=types.SimpleNamespace(get_hosts=get_hosts))
    play = types.SimpleNamespace(hosts="edge", order=None, serial=serial)
    return [list(b) for b in PlaybookExecutor._get_serialized_batches(me, play)]


def split(hosts: list[str], k: int) -> list[list[str]]:
    """`hosts` in up to k contiguous slices whose sizes differ by at most one."""
    k = max(1, min(k, len(hosts)))
    size, extra = divmod(len(hosts), k)
    out, start = [], 0
    for i in range(k):
        end = start + size + (1 if i < extra else 0)
        out.append(hosts[start:end])
        start = end
    return out


def inventory_budget(inventories: list[str], host: str) -> str | None:
    """edge_rollout_max_unreachable as the inventory sets it for `host` (group_vars/host_vars),
    from `ansible-inventory --host` (JSON on stdout); None when it is not set there."""
    cmd = [str(BIN / "ansible-inventory"), *inventory_args(inventories), "--host", host]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if r.returncode:
        raise RolloutError(f"reading {host}'s variables failed ({' '.join(cmd)}):\n{r.stderr}")
    value = json.loads(r.stdout or "{}").get("edge_rollout_max_unreachable")
    return None if value is None else str(value)


def unreachable_budget(spec: str, total: int) -> int:
    """edge_rollout_max_unreachable as a count for the whole rollout: the filter site.yml uses
    (playbooks/filter_plugins/edge_rollout.py), loaded by path."""
    import importlib.util

    path = ROOT / "playbooks" / "filter_plugins" / "edge_rollout.py"
    spec_ = importlib.util.spec_from_file_location("edge_rollout_filters", path)
    mod = importlib.util.module_from_spec(spec_)
    assert spec_.loader is not None
    spec_.loader.exec_module(mod)
    try:
        return mod.edge_unreachable_budget(spec, total)
    except Exception as err:  # AnsibleFilterError: its message says what to give
        raise RolloutError(str(err)) from err


def rollout_defaults() -> dict:
    return yaml.safe_load((ROOT / "playbooks" / "vars" / "rollout.yml").read_text())


def newest_artifact() -> str:
    artifacts = os.environ.get("ARTIFACTS", str(ROOT / "artifacts"))
    r = subprocess.run([sys.executable, "-m", "edge_artifact", "newest", artifacts],
                       env=dict(os.environ, PYTHONPATH=str(ROOT / "artifact")),
                       capture_output=True, text=True, check=False)  # fmt: skip
    path = r.stdout.strip()
    if r.returncode or not path:
        raise RolloutError(f"no complete artifact under {artifacts}: build one (make model) or "
                           "give --artifact DIR")  # fmt: skip
    return path


def pin_wheelhouse(run_dir: Path) -> Path:
    """One copy of wheelhouse/ for every process of the run (site.yml's edge_pin_wheelhouse)."""
    src = Path(os.environ.get("WHEELHOUSE_DIR", ROOT / "wheelhouse"))
    dest = run_dir / "wheelhouse"
    if src.is_dir():
        shutil.copytree(src, dest, symlinks=True)
    else:
        dest.mkdir(parents=True)
    return dest


def check_passthrough(extra: list[str]) -> None:
    for i, arg in enumerate(extra):
        if arg in ("-l", "--limit") or arg.startswith("--limit="):
            raise RolloutError("give the limit as rollout.py's own -l/--limit, before --")
        if arg in ("-e", "--extra-vars") and i + 1 < len(extra):
            for name in OWN_VARS:
                if name in extra[i + 1]:
                    raise RolloutError(
                        f"{name} is set by rollout.py (its own options: --serial, "
                        "--max-unreachable, --artifact); do not pass it with -e"
                    )


def wait_cpu(p: subprocess.Popen) -> float:
    """Wait for p; its own CPU seconds, read from /proc before it is reaped (the parser of
    lab/scale/cpu.py, which the scale run measures with)."""
    sys.path.insert(0, str(ROOT / "lab" / "scale"))
    from cpu import stat_cpu_s

    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    try:
        cpu = stat_cpu_s(Path(f"/proc/{p.pid}/stat").read_text())
    except (OSError, IndexError, ValueError):
        cpu = 0.0
    p.wait()
    return cpu


def run_batch(slices: list[Slice], base: list[str], run_dir: Path, budget_left: int,
              canary: bool) -> None:  # fmt: skip
    procs = []
    for s in slices:
        s.log = str(run_dir / f"{s.batch}-{s.index}.log")
        report = run_dir / f"{s.batch}-{s.index}.json"
        evars = {"edge_rollout_serial": ["100%"], "edge_rollout_canary_done": not canary,
                 "edge_rollout_report_file": str(report),
                 "edge_rollout_max_unreachable": budget_left}  # fmt: skip
        cmd = [*base, "--limit", ",".join(s.hosts), "-e", json.dumps(evars)]
        with open(s.log, "w") as log:
            procs.append((s, report, time.monotonic(), subprocess.Popen(
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)))  # fmt: skip
    for s, report, t0, p in procs:
        s.main_cpu_s = wait_cpu(p)
        s.rc, s.seconds = p.returncode, time.monotonic() - t0
        if report.is_file():
            s.summary = json.loads(report.read_text())
        what = "ok" if s.rc == 0 else f"FAILED (rc {s.rc}, log {s.log})"
        print(f"rollout: batch {s.batch} slice {s.index} ({len(s.hosts)} hosts: "
              f"{s.hosts[0]}..{s.hosts[-1]}): {what} in {s.seconds:.0f} s", flush=True)  # fmt: skip


def tail(path: str, lines: int = 25) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slices", type=int, default=4, help="processes per batch (default 4)")
    ap.add_argument("-i", "--inventory", action="append", help="as ansible-playbook's -i")
    ap.add_argument("-l", "--limit", help="as ansible-playbook's --limit")
    ap.add_argument("--serial", help='JSON, e.g. [1, "50%%"] (default: playbooks/vars/rollout.yml)')
    ap.add_argument("--max-unreachable",
                    help='count or percent of the rollout (default: the inventory\'s '
                         'edge_rollout_max_unreachable, else "5%%")')  # fmt: skip
    ap.add_argument("--artifact", help="artifact folder (default: the newest complete one)")
    ap.add_argument("--report", help="write the run (batches, slices, summaries) as JSON here")
    ap.add_argument("--playbook", default="site.yml", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.slices < 1:
        ap.error("--slices must be 1 or more")
    return args, extra


def main(argv: list[str]) -> int:
    args, extra = parse(argv)
    check_passthrough(extra)
    inventories = args.inventory or [str(ROOT / "inventory" / "production")]
    serial = json.loads(args.serial) if args.serial else rollout_defaults()["edge_rollout_serial"]
    hosts = edge_hosts(inventories, args.limit)
    plan = batches(hosts, serial)
    spec = args.max_unreachable or inventory_budget(inventories, hosts[0]) or "5%"
    budget = unreachable_budget(spec, len(hosts))
    artifact = args.artifact or newest_artifact()
    run_dir = RUNS / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-sliced-{os.getpid()}"
    run_dir.mkdir(parents=True)
    pin = pin_wheelhouse(run_dir)
    pinned = {"hailo_inference_artifact": artifact, "edge_rollout_wheelhouse_pin": str(pin)}
    base = [str(BIN / "ansible-playbook"), *inventory_args(inventories), args.playbook,
            "-e", json.dumps(pinned), *extra]  # fmt: skip
    print(f"rollout: {len(hosts)} hosts, batches {[len(b) for b in plan]}, up to {args.slices} "
          f"processes per batch; artifact {artifact}; logs {run_dir}", flush=True)  # fmt: skip
    done: list[Slice] = []
    skipped: list[str] = []
    stopped = ""
    t0 = time.monotonic()
    try:
        for n, batch in enumerate(plan, 1):
            canary = n == 1
            parts = [batch] if canary else split(batch, args.slices)
            slices = [Slice(n, i, part) for i, part in enumerate(parts, 1)]
            run_batch(slices, base, run_dir, budget - len(skipped), canary)
            done += slices
            for s in slices:
                skipped += s.summary.get("skipped", [])
            failed = [s for s in slices if s.rc != 0]
            if failed:
                stopped = "; ".join(f"batch {s.batch} slice {s.index} failed (rc {s.rc}), "
                                    f"log {s.log}" for s in failed)  # fmt: skip
                for s in failed:
                    print(f"--- {s.log} (last lines)\n{tail(s.log)}", flush=True)
                break
            if len(skipped) > budget:
                stopped = (
                    f"{len(skipped)} hosts of {len(hosts)} did not answer SSH "
                    f"({', '.join(skipped)}), more than edge_rollout_max_unreachable allows "
                    f"({budget}); hosts already done stay on their new release"
                )
                break
    finally:
        shutil.rmtree(pin, ignore_errors=True)
    wall = time.monotonic() - t0
    summary = {"hosts": len(hosts), "batches": [len(b) for b in plan], "slices": args.slices,
               "artifact": artifact, "wall_s": round(wall, 1), "skipped": skipped,
               "stopped": stopped, "run_dir": str(run_dir),
               "runs": [asdict(s) for s in done]}  # fmt: skip
    if args.report:
        Path(args.report).write_text(json.dumps(summary, indent=1))
    unsynced = sorted({h for s in done for h in s.summary.get("unsynced", [])})
    head = f"ROLLOUT STOPPED: {stopped}. " if stopped else f"every batch passed in {wall:.0f} s. "
    if skipped:
        head += f"not updated: {', '.join(skipped)}, unreachable (the next run updates them). "
    if unsynced:
        head += f"clock not synchronized: {', '.join(unsynced)} (warning only)."
    print(f"rollout: SUMMARY: {head}".rstrip(), flush=True)
    for s in done:
        if s.summary.get("hailort"):
            print(f"rollout: batch {s.batch} slice {s.index}: {s.summary['hailort']}")
    return 2 if stopped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

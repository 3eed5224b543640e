"""scripts/rollout.py: site.yml's batches, each run by several ansible-playbook processes.

The wrapper runs under .venv-ctl's Python (ansible-core cuts the batches) with a fake `ansible`
and `ansible-playbook` (ROLLOUT_ANSIBLE_BIN). The fake playbook applies edge_reach.yml's rules
to the slice it is given (a host that does not answer: the canary must answer whole, a later
batch skips within edge_rollout_max_unreachable, tests/roles/test_rollout_unreachable.py runs the
real task file for them) and writes the summary JSON edge_summary.yml writes. The slices of one
batch meet at a barrier: run one after the other they never all arrive and the fake fails (a
guard against a wrapper that serializes, not a timed assertion).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from local_play import ANSIBLE, ROOT

CTL_PYTHON = ANSIBLE.parent / "python"
pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: make setup")

FAKE_ANSIBLE = """#!/usr/bin/env python3
import os, sys
hosts = os.environ["FAKE_HOSTS"].split(",")
if "--limit" in sys.argv:
    keep = sys.argv[sys.argv.index("--limit") + 1].split(",")
    hosts = [h for h in hosts if h in keep]
print(f"  hosts ({len(hosts)}):")
print("\\n".join("    " + h for h in hosts))
"""

FAKE_INVENTORY = """#!/usr/bin/env python3
import json, os, sys
assert sys.argv[-2] == "--host", sys.argv
budget = os.environ.get("FAKE_INVENTORY_BUDGET")
print(json.dumps({"edge_rollout_max_unreachable": budget} if budget else {}))
"""

FAKE_PLAYBOOK = """#!/usr/bin/env python3
import json, os, sys, time
argv = sys.argv[1:]
hosts = argv[argv.index("--limit") + 1].split(",")
evars = {}
for i, a in enumerate(argv):
    if a == "-e" and argv[i + 1].startswith("{"):
        evars.update(json.loads(argv[i + 1]))
plan = json.loads(os.environ["FAKE_PLAN"])  # host -> [batch, slices in that batch]
batch, slices = plan[hosts[0]]
calls = os.environ["FAKE_CALLS"]
pin = evars["edge_rollout_wheelhouse_pin"]
rec = {"hosts": hosts, "evars": evars, "batch": batch, "argv": argv,
       "pin_files": sorted(os.listdir(pin)) if os.path.isdir(pin) else None}
with open(calls, "a") as f:
    f.write(json.dumps({"start": rec}) + "\\n")
barrier = os.path.join(os.environ["FAKE_BARRIER"], str(batch))
os.makedirs(barrier, exist_ok=True)
open(os.path.join(barrier, hosts[0]), "w").close()
for _ in range(600):
    if len(os.listdir(barrier)) >= slices:
        break
    time.sleep(0.1)
else:
    sys.exit("fake: the slices of this batch did not run at the same time")
down = [h for h in hosts if h in os.environ.get("FAKE_DOWN", "").split(",")]
rc = 0
if down and not evars["edge_rollout_canary_done"]:
    print("ROLLOUT STOPPED: canary does not answer SSH"); rc = 2
elif len(down) > int(evars["edge_rollout_max_unreachable"]):
    print("ROLLOUT STOPPED: more than edge_rollout_max_unreachable"); rc = 2
elif set(hosts) & set(os.environ.get("FAKE_FAIL", "").split(",")):
    print("health gate failed, rolled back"); rc = 2
if rc == 0:
    with open(evars["edge_rollout_report_file"], "w") as f:
        json.dump({"skipped": down, "unsynced": [], "hosts": hosts, "hailort": ""}, f)
with open(calls, "a") as f:
    f.write(json.dumps({"end": batch}) + "\\n")
sys.exit(rc)
"""


def _run(tmp_path: Path, n: int, slices: int, plan: list[list[int]], *args: str,
         **fake: str) -> tuple[subprocess.CompletedProcess, list[dict]]:  # fmt: skip
    """rollout.py over hosts h1..hn; `plan` is the batches expected, as slice sizes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fakes = (("ansible", FAKE_ANSIBLE), ("ansible-playbook", FAKE_PLAYBOOK),
             ("ansible-inventory", FAKE_INVENTORY))  # fmt: skip
    for name, text in fakes:
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    hosts = [f"h{i}" for i in range(1, n + 1)]
    where, it = {}, iter(hosts)
    for b, sizes in enumerate(plan, 1):
        for size in sizes:
            for _ in range(size):
                where[next(it)] = [b, len(sizes)]
    wheelhouse = tmp_path / "wheelhouse" / "x86_64-cp311"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    (wheelhouse / "SHA256SUMS").write_text("x\n")
    calls = tmp_path / "calls.jsonl"
    calls.unlink(missing_ok=True)
    env = dict(os.environ, ROLLOUT_ANSIBLE_BIN=str(bin_dir), FAKE_HOSTS=",".join(hosts),
               FAKE_PLAN=json.dumps(where), FAKE_CALLS=str(calls),
               FAKE_BARRIER=str(tmp_path / "barrier"), ROLLOUT_RUNS_DIR=str(tmp_path / "runs"),
               WHEELHOUSE_DIR=str(tmp_path / "wheelhouse"), **fake)  # fmt: skip
    cmd = [str(CTL_PYTHON), str(ROOT / "scripts" / "rollout.py"), "--slices", str(slices),
           "--artifact", str(tmp_path / "artifact"), "-i", "inv", *args]  # fmt: skip
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    lines = [json.loads(x) for x in calls.read_text().splitlines()] if calls.exists() else []
    return r, lines


def test_the_canary_runs_alone_then_each_batch_as_slices_at_once(tmp_path: Path) -> None:
    """10 hosts, site.yml's [1, "50%"]: ansible-core cuts 1, 5, 4; with 2 slices the later
    batches run as 3 + 2 and 2 + 2 hosts, every host once, a batch only after the last one
    ended; every process gets the same artifact and the one pinned wheelhouse."""
    r, lines = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], "--report", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stdout + r.stderr
    starts = [x["start"] for x in lines if "start" in x]
    assert [s["hosts"] for s in starts][:1] == [["h1"]], starts
    by_batch: dict[int, list[list[str]]] = {}
    for s in starts:
        by_batch.setdefault(s["batch"], []).append(s["hosts"])
    assert {b: sorted(v) for b, v in by_batch.items()} == {
        1: [["h1"]], 2: [["h2", "h3", "h4"], ["h5", "h6"]], 3: [["h7", "h8"], ["h9", "h10"]]
    }  # fmt: skip
    for i, x in enumerate(lines):  # no start of batch b before every end of batch b - 1
        if "start" in x and x["start"]["batch"] > 1:
            ended = [y["end"] for y in lines[:i] if "end" in y]
            assert ended.count(x["start"]["batch"] - 1) == len(by_batch[x["start"]["batch"] - 1])
    assert [s["evars"]["edge_rollout_canary_done"] for s in starts] == [False] + [True] * 4
    assert {s["evars"]["edge_rollout_serial"] == ["100%"] for s in starts} == {True}
    assert len({s["evars"]["edge_rollout_wheelhouse_pin"] for s in starts}) == 1
    assert {str(s["evars"]["hailo_inference_artifact"]) for s in starts} == {
        str(tmp_path / "artifact")
    }
    assert {tuple(s["pin_files"]) for s in starts} == {("x86_64-cp311",)}, "pin not a copy"
    assert not Path(starts[0]["evars"]["edge_rollout_wheelhouse_pin"]).exists(), "pin left"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["batches"] == [1, 5, 4] and not report["stopped"], report
    assert "every batch passed" in r.stdout, r.stdout


def test_a_failed_slice_stops_the_rollout_before_the_next_batch(tmp_path: Path) -> None:
    r, lines = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], FAKE_FAIL="h5")
    assert r.returncode == 2, r.stdout + r.stderr
    started = [h for x in lines if "start" in x for h in x["start"]["hosts"]]
    assert "h7" not in started and "h10" not in started, f"a batch ran after a failure: {started}"
    assert "ROLLOUT STOPPED: batch 2 slice 2 failed" in r.stdout, r.stdout
    assert "health gate failed, rolled back" in r.stdout, "the failed slice's log is not shown"


def test_hosts_down_in_several_slices_are_counted_against_the_rollouts_budget(
    tmp_path: Path,
) -> None:
    """Budget 1 for the rollout: h3 and h6 do not answer, one in each slice of batch 2. Each
    slice stays within what is left (1), the batch's total (2) does not: no batch 3."""
    r, lines = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], "--max-unreachable", "1",
                    FAKE_DOWN="h3,h6")  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    started = [h for x in lines if "start" in x for h in x["start"]["hosts"]]
    assert "h7" not in started, f"a batch ran after the budget was spent: {started}"
    assert "2 hosts of 10 did not answer SSH (h3, h6)" in r.stdout, r.stdout
    # within the budget: listed, the rollout goes on
    r, lines = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], "--max-unreachable", "1",
                    FAKE_DOWN="h6")  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not updated: h6, unreachable" in r.stdout, r.stdout
    budgets = [x["start"]["evars"]["edge_rollout_max_unreachable"] for x in lines if "start" in x]
    assert budgets == [1, 1, 1, 0, 0], budgets  # batch 3 gets what is left after h6


def test_a_canary_that_does_not_answer_stops_everything(tmp_path: Path) -> None:
    r, lines = _run(tmp_path, 4, 2, [[1], [1, 1], [1]], "--max-unreachable", "100%",
                    FAKE_DOWN="h1")  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert [x["start"]["hosts"] for x in lines if "start" in x] == [["h1"]]


@pytest.mark.parametrize(
    ("extra", "msg"),
    [(["--", "-l", "h1"], "give the limit as rollout.py's own -l"),
     (["--", "-e", "hailo_inference_artifact=/x"], "hailo_inference_artifact is set by"),
     (["--", "-e", '{"edge_rollout_serial": [2]}'], "edge_rollout_serial is set by"),
     (["--max-unreachable", "lots"], "edge_rollout_max_unreachable is 'lots'")],
)  # fmt: skip
def test_what_the_wrapper_sets_itself_is_refused_with_a_clear_error(
    tmp_path: Path, extra: list[str], msg: str
) -> None:
    r, lines = _run(tmp_path, 4, 2, [[1], [1, 1], [1]], *extra)
    assert r.returncode == 1 and msg in r.stderr, r.stdout + r.stderr
    assert lines == [], "a playbook ran despite the bad input"


def test_the_inventorys_budget_applies_unless_the_option_is_given(tmp_path: Path) -> None:
    """edge_rollout_max_unreachable set in group_vars is what site.yml would use: the wrapper
    reads it (ansible-inventory --host); --max-unreachable outranks it, as -e would."""
    r, _ = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], FAKE_DOWN="h6",
                FAKE_INVENTORY_BUDGET="1")  # fmt: skip
    assert r.returncode == 0 and "not updated: h6" in r.stdout, r.stdout + r.stderr
    r, _ = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], "--max-unreachable", "0",
                FAKE_DOWN="h6", FAKE_INVENTORY_BUDGET="1")  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    r, _ = _run(tmp_path, 10, 2, [[1], [3, 2], [2, 2]], FAKE_DOWN="h6")  # 5% of 10: 0
    assert r.returncode == 2, r.stdout + r.stderr

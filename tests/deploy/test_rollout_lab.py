"""A rollout that never outruns its canary (site.yml on the lab fleet).

- A host that does not answer in the canary batch stops the rollout: no later batch starts
  (Ansible's max_fail_percentage counts failed hosts only, so the play checks this itself).
- Issue 28 item 4: a host cut off in a later batch is skipped and listed ("not updated: <host>,
  unreachable") within edge_rollout_max_unreachable; with 0 allowed the rollout stops.
- The controller preflight runs under any --limit (a play on localhost matched no host then).
- edge_rollout_serial set in the inventory, where Ansible cannot apply it to `serial:`, is
  refused instead of silently ignored.
- Tags select parts of the role (prometheus-community style): a configure-only run touches no
  HailoRT task and changes nothing on a deployed host.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploylib import INVENTORY, ROOT, play, playbook, run

pytestmark = pytest.mark.lab


def test_a_host_unreachable_in_the_canary_batch_stops_the_rollout(
    tmp_path: Path, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    """Batches [ghost + first lab Pi], then [second lab Pi]: the ghost never answers SSH in the
    canary batch, so nothing deploys and the second batch must not start, whatever
    edge_rollout_max_unreachable allows."""
    ghost = tmp_path / "ghost.yml"  # listed first: the ghost lands in the first batch
    host = {"ansible_host": "10.77.0.250", "edge_has_accelerator": False}
    host["ansible_ssh_common_args"] = "-o ConnectTimeout=5"
    ghost.write_text(json.dumps({"edge": {"hosts": {"pi-ghost": host}}}))
    later = sorted(edge_hosts)[-1]
    serial = json.dumps({"edge_rollout_serial": [2, 1]})
    res = play(
        "-e",
        serial,
        "-e",
        "edge_rollout_max_unreachable=5",
        artifact=artifact_a,
        inventories=(ghost, INVENTORY),
    )
    assert res.rc != 0, res.out[-3000:]
    recap = res.recap()
    assert recap["pi-ghost"]["failed"] >= 1, recap
    assert "ROLLOUT STOPPED: canary pi-ghost does not answer SSH" in res.flat, res.out[-3000:]
    assert recap.get(later, {}).get("ok", 0) == 0, f"{later} ran after a lost host: {recap}"


def _fault(host: str, action: str) -> None:
    res = run(["python3", str(ROOT / "lab" / "fleet.py"), "fault", host, action], timeout=300)
    assert res.rc == 0, res.out
    if action == "cut":
        # a live ControlPersist master (ansible's ssh default, 60 s) would carry the probe over
        # its dead TCP connection and hang: close every master, the next run opens new ones
        for sock in (Path.home() / ".ansible" / "cp").glob("*"):
            run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "lab-host"], timeout=30)


def test_a_host_cut_off_in_a_later_batch_is_skipped_and_listed_within_the_budget(
    artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    """The lab's default batches [1, 50%] on its two edge hosts: the second (a later batch) has
    its network cut (`lab/fleet.py fault <host> cut`). Allowed 1: the run passes and names it;
    allowed 0: the rollout stops. Either way the canary answers and the cut host is untouched."""
    later = sorted(edge_hosts)[-1]
    _fault(later, "cut")
    try:
        ok = play("-e", "edge_rollout_max_unreachable=1", artifact=artifact_a)
        stop = play("-e", "edge_rollout_max_unreachable=0", artifact=artifact_a)
    finally:
        _fault(later, "restore")
    assert ok.rc == 0, ok.out[-3000:]
    flat = ok.flat
    assert f"not updated: {later}, unreachable" in flat, flat[-3000:]
    assert f"ROLLOUT SUMMARY: not updated: {later}, unreachable" in flat, flat[-3000:]
    assert stop.rc != 0, stop.out[-3000:]
    assert "more than edge_rollout_max_unreachable (0 = 0 hosts) allows" in stop.flat


def test_preflight_runs_under_limit_and_inventory_serial_is_refused(
    tmp_path: Path, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    one = sorted(edge_hosts)[0]
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text((INVENTORY / "hosts.yml").read_text())
    (inv / "group_vars" / "edge.yml").write_text('edge_rollout_serial: [1, "100%"]\n')
    res = play(artifact=artifact_a, limit=one, inventories=(inv,))
    assert res.rc != 0, res.out[-3000:]
    flat = res.flat
    assert "TASK [Check the Ansible version]" in flat and "no hosts matched" not in flat, flat[
        :2000
    ]
    assert "edge_rollout_serial is set in the inventory" in flat, flat[-3000:]
    assert "TASK [hailort" not in flat and "TASK [hailo_inference" not in flat


def test_tags_select_a_part_and_a_configure_only_run_changes_nothing(
    artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    one = sorted(edge_hosts)[0]
    assert playbook(artifact_a, "--limit", one).rc == 0  # deployed (a no-op if it already was)
    res = playbook(artifact_a, "--limit", one, "--tags", "hailo_inference_configure")
    assert res.rc == 0, res.out[-3000:]
    assert res.recap()[one]["changed"] == 0, res.out[-3000:]
    flat = res.flat
    # the configure part ran (its task header; the old either-or also matched a mere include line)
    assert "TASK [hailo_inference : Write the release's configuration" in flat, flat[-3000:]
    assert "TASK [hailort" not in flat, "a configure-only run ran the HailoRT role"
    assert "Install the daemon virtualenv" not in flat, "a configure-only run ran the install part"


def test_a_sliced_rollout_runs_site_yml_per_slice_and_skips_a_ghost_within_the_budget(
    tmp_path: Path, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    """scripts/rollout.py (issue 28 item 7) on the lab: batches [1, "100%"] over the edge hosts
    and a ghost listed last (never answers SSH), 2 processes per batch. The canary runs alone;
    the second batch runs as 2 site.yml processes at once, the ghost's slice skips it within the
    budget (1) and writes its summary; the pinned wheelhouse copy is gone afterwards."""
    ghost = tmp_path / "ghost.yml"
    host = {"ansible_host": "10.77.0.250", "edge_has_accelerator": False}
    host["ansible_ssh_common_args"] = "-o ConnectTimeout=5"
    ghost.write_text(json.dumps({"edge": {"hosts": {"pi-ghost": host}}}))
    report = tmp_path / "rollout.json"
    res = run([str(ROOT / ".venv-ctl/bin/python"), str(ROOT / "scripts/rollout.py"),
               "--slices", "2", "--serial", '[1, "100%"]', "--max-unreachable", "1",
               "-i", str(INVENTORY), "-i", str(ghost), "--artifact", str(artifact_a),
               "--report", str(report), "--", "-e", "@playbooks/vars/lab.yml"],
              timeout=1200)  # fmt: skip
    print(res.out[-3000:])
    assert res.rc == 0, res.out[-3000:]
    assert "not updated: pi-ghost, unreachable" in res.stdout, res.stdout[-3000:]
    run_ = json.loads(report.read_text())
    slices = [(r["batch"], r["hosts"], r["rc"]) for r in run_["runs"]]
    lab = list(edge_hosts)  # inventory order, as ansible lists them
    assert slices[0] == (1, lab[:1], 0), slices
    assert [s[0] for s in slices[1:]] == [2, 2], f"batch 2 not split in 2: {slices}"
    assert [h for s in slices[1:] for h in s[1]] == [*lab[1:], "pi-ghost"], slices
    assert {s[2] for s in slices} == {0}, slices
    assert run_["skipped"] == ["pi-ghost"], run_
    for r in run_["runs"]:
        assert "ROLLOUT SUMMARY" in Path(r["log"]).read_text(), r["log"]
    assert not (Path(run_["run_dir"]) / "wheelhouse").exists(), "the pinned copy was left"

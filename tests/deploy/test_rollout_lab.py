"""A rollout that never outruns its canary (site.yml on the lab fleet).

- A host that becomes unreachable in a batch counts as failed: no later batch starts. Ansible's
  max_fail_percentage counts failed hosts only and no rescue runs for unreachable ones, so
  before the play checked this itself the next batch went ahead.
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
from deploylib import CTL, INVENTORY, Result, playbook, run

pytestmark = pytest.mark.lab


def _flat(res: Result) -> str:
    return " ".join(res.out.split())


def _site(artifact: Path, *inventories: Path, extra: tuple[str, ...] = ()) -> Result:
    cmd = [str(CTL / "ansible-playbook")]
    for inv in inventories:
        cmd += ["-i", str(inv)]
    cmd += [
        "site.yml",
        "-e",
        "@playbooks/vars/lab.yml",
        "-e",
        f"hailo_inference_artifact={artifact}",
    ]
    res = run([*cmd, *extra])
    print(res.out[-3000:])
    return res


def test_a_host_unreachable_in_a_batch_stops_the_rollout(
    tmp_path: Path, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    """Batches [ghost + first lab Pi], then [second lab Pi]: the ghost never answers SSH, the
    first Pi deploys, and the second batch must not start."""
    ghost = tmp_path / "ghost.yml"  # listed first: the ghost lands in the first batch
    host = {"ansible_host": "10.77.0.250", "edge_has_accelerator": False}
    host["ansible_ssh_common_args"] = "-o ConnectTimeout=5"
    ghost.write_text(json.dumps({"edge": {"hosts": {"pi-ghost": host}}}))
    later = sorted(edge_hosts)[-1]
    serial = json.dumps({"edge_rollout_serial": [2, 1]})
    res = _site(artifact_a, ghost, INVENTORY, extra=("-e", serial))
    assert res.rc != 0, res.out[-3000:]
    recap = res.recap()
    assert recap["pi-ghost"]["unreachable"] >= 1, recap
    assert "pi-ghost became unreachable during the rollout" in _flat(res), res.out[-3000:]
    assert recap.get(later, {}).get("ok", 0) == 0, f"{later} ran after a lost host: {recap}"


def test_preflight_runs_under_limit_and_inventory_serial_is_refused(
    tmp_path: Path, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    one = sorted(edge_hosts)[0]
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text((INVENTORY / "hosts.yml").read_text())
    (inv / "group_vars" / "edge.yml").write_text('edge_rollout_serial: [1, "100%"]\n')
    res = _site(artifact_a, inv, extra=("--limit", one))
    assert res.rc != 0, res.out[-3000:]
    flat = _flat(res)
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
    flat = _flat(res)
    # the configure part ran (its task header; the old either-or also matched a mere include line)
    assert "TASK [hailo_inference : Write the release's configuration" in flat, flat[-3000:]
    assert "TASK [hailort" not in flat, "a configure-only run ran the HailoRT role"
    assert "Install the daemon virtualenv" not in flat, "a configure-only run ran the install part"

"""Partial runs (site.yml --tags X) on the lab fleet: each ends with the health gate on what the
host serves, or leaves serving untouched (issue 28 item 3). The structure for every tag is a unit
test (tests/roles/test_tags.py); here is what the gate checks and what stays untouched.

- `--tags telemetry` with a newer, undeployed artifact: the gate proves the release `current`
  serves (before: it expected the undeployed artifact and failed the canary).
- `--tags hailo_inference_run` with an artifact whose release was never built: refused before
  anything is switched, `current` and the running daemon untouched (before: `current` pointed at
  the missing folder, the daemon was restarted by the rollback).
- `--tags hailort` (no accelerator in the lab: the role only reports that): the gate runs
  (before: no gate at all after a HailoRT change).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deploylib import Result, healthz, model_ref, on_host, playbook

pytestmark = pytest.mark.lab

CURRENT = "/opt/hailo-inference/current"


def _flat(res: Result) -> str:
    return " ".join(res.out.split())


def _state(host: str) -> tuple[str, str]:
    """(where current points, the daemon's main PID)."""
    out = on_host(
        host, f"readlink {CURRENT}; systemctl show --value --property=MainPID hailo-inference"
    ).stdout.splitlines()[-2:]
    return out[0].strip(), out[1].strip()


@pytest.fixture(scope="module")
def host(edge_hosts: dict[str, str]) -> str:
    return sorted(edge_hosts)[0]


@pytest.fixture(scope="module")
def deployed(host: str, artifact_a: Path) -> tuple[str, str]:
    res = playbook(artifact_a, "--limit", host)
    assert res.rc == 0, res.out[-3000:]
    return _state(host)


def test_tags_telemetry_proves_what_is_served_not_the_newest_artifact(
    host: str, urls: dict[str, str], artifact_a: Path, artifact_b: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(artifact_b, "--limit", host, "--tags", "telemetry")
    assert res.rc == 0, _flat(res)[-3000:]
    assert f"{host} serves {model_ref(artifact_a)}" in res.out, "the gate did not run on A"
    assert _state(host) == deployed, "a telemetry run changed what is served"
    assert healthz(urls[host]).get("model") == model_ref(artifact_a)


def test_tags_run_refuses_a_release_never_built_and_touches_nothing(
    host: str, urls: dict[str, str], artifact_a: Path, artifact_b: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(artifact_b, "--limit", host, "--tags", "hailo_inference_run")
    assert res.rc != 0, "activated a release this run did not build"
    flat = _flat(res)
    assert "was never built on" in flat and "Nothing was activated" in flat, flat[-3000:]
    assert _state(host) == deployed, "current or the daemon changed"
    dangling = on_host(host, f"[ -e {CURRENT}/ ] && echo fine || echo dangling").stdout
    assert "fine" in dangling, dangling
    assert healthz(urls[host]).get("model") == model_ref(artifact_a)
    # the release that is built: --tags hailo_inference_run activates it and proves it
    res = playbook(artifact_a, "--limit", host, "--tags", "hailo_inference_run")
    assert res.rc == 0, _flat(res)[-3000:]
    assert f"{host} serves {model_ref(artifact_a)}" in res.out


def test_tags_hailort_ends_with_the_gate(
    host: str, artifact_a: Path, artifact_b: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(artifact_b, "--limit", host, "--tags", "hailort")
    assert res.rc == 0, _flat(res)[-3000:]
    assert "declared without an accelerator" in _flat(res)
    assert f"{host} serves {model_ref(artifact_a)}" in res.out, "no gate after --tags hailort"
    assert _state(host) == deployed

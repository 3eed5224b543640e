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

The "newer, undeployed artifact" is artifact B under a version of this module's own
(`<B's version>-tags-lab`, deploylib.derive), and the `unbuilt` fixture deletes any release of
that version from the host first: no other test deploys it, so the module passes wherever it runs
in the session (test_scenarios deploys B itself, which made two of these tests fail after it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deploylib import derive, healthz, model_ref, on_host, playbook

pytestmark = pytest.mark.lab

CURRENT = "/opt/hailo-inference/current"
RELEASES = "/opt/hailo-inference/releases"


def _state(host: str) -> tuple[str, str]:
    """(where current points, the daemon's main PID)."""
    out = on_host(
        host, f"readlink {CURRENT}; systemctl show --value --property=MainPID hailo-inference"
    ).stdout.splitlines()[-2:]
    return out[0].strip(), out[1].strip()


@pytest.fixture(scope="module")
def deployed(host: str, artifact_a: Path) -> tuple[str, str]:
    res = playbook(artifact_a, "--limit", host)
    assert res.rc == 0, res.out[-3000:]
    return _state(host)


@pytest.fixture(scope="module")
def unbuilt(host: str, artifact_b: Path, deployed: tuple[str, str]) -> Path:
    """Artifact B under a version no other test deploys, with no release of it on `host`.

    Releases are named <venv id>-<model version>-c<config hash> (roles/hailo_inference/tasks/
    preflight.yml): removing every `*-<version>-c*` folder leaves none of this version, even when
    the module ran before in the same lab."""
    path, manifest = derive(artifact_b, "tags-lab")
    version = manifest["model"]["version"]
    gone = on_host(host, f"rm -rf {RELEASES}/*-{version}-c* && ls -1 {RELEASES}")
    assert gone.rc == 0, gone.out
    assert f"-{version}-c" not in gone.stdout, gone.stdout
    return path


def test_tags_telemetry_proves_what_is_served_not_the_newest_artifact(
    host: str, urls: dict[str, str], artifact_a: Path, unbuilt: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(unbuilt, "--limit", host, "--tags", "telemetry")
    assert res.rc == 0, res.flat[-3000:]
    assert f"{host} serves {model_ref(artifact_a)}" in res.out, "the gate did not run on A"
    assert _state(host) == deployed, "a telemetry run changed what is served"
    assert healthz(urls[host]).get("model") == model_ref(artifact_a)


def test_tags_run_refuses_a_release_never_built_and_touches_nothing(
    host: str, urls: dict[str, str], artifact_a: Path, unbuilt: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(unbuilt, "--limit", host, "--tags", "hailo_inference_run")
    assert res.rc != 0, "activated a release this run did not build"
    flat = res.flat
    assert "was never built on" in flat and "Nothing was activated" in flat, flat[-3000:]
    assert _state(host) == deployed, "current or the daemon changed"
    dangling = on_host(host, f"[ -e {CURRENT}/ ] && echo fine || echo dangling").stdout
    assert "fine" in dangling, dangling
    assert healthz(urls[host]).get("model") == model_ref(artifact_a)
    # the release that is built: --tags hailo_inference_run activates it and proves it
    res = playbook(artifact_a, "--limit", host, "--tags", "hailo_inference_run")
    assert res.rc == 0, res.flat[-3000:]
    assert f"{host} serves {model_ref(artifact_a)}" in res.out


def test_tags_hailort_ends_with_the_gate(
    host: str, artifact_a: Path, unbuilt: Path, deployed: tuple[str, str]
) -> None:
    res = playbook(unbuilt, "--limit", host, "--tags", "hailort")
    assert res.rc == 0, res.flat[-3000:]
    assert "declared without an accelerator" in res.flat
    assert f"{host} serves {model_ref(artifact_a)}" in res.out, "no gate after --tags hailort"
    assert _state(host) == deployed

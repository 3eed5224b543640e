"""A release is the artifact, the virtualenv and the configuration together (lab fleet).

- A configuration-only change that breaks the daemon is rolled back with its release: `current`
  and the configuration return to the previous release (before, the config in /etc stayed new,
  the old daemon crash-looped on it and the play said "Nothing was activated").
- So is a unit-only change: the unit lives in the release and systemd runs current's.
- `rollback.yml` returns a host to the release before the current one, or to a named one, and
  proves it with the same health gate; an unknown name fails listing the releases there.
- `uninstall.yml` leaves nothing of hailo-inference behind; the host is deployed again after.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deploylib import (
    current_release,
    healthz,
    model_ref,
    on_host,
    play,
    playbook,
    wait_ready,
)

pytestmark = pytest.mark.lab

ROOT_DIR = "/opt/hailo-inference"
UNIT = "/etc/systemd/system/hailo-inference.service"
ROLE = Path(__file__).resolve().parents[2] / "roles" / "hailo_inference"
REGRESSION = "ExecStartPre=/bin/sh -c 'echo unit-only-regression >&2; exit 1'"


@pytest.fixture(scope="module")
def url(host: str, urls: dict[str, str]) -> str:
    return urls[host]


def test_a_bad_config_only_change_is_rolled_back_with_its_release(
    host: str, url: str, artifact_a: Path
) -> None:
    assert playbook(artifact_a, "--limit", host).rc == 0
    before = current_release(host)
    # valid YAML the daemon accepts, yet it cannot serve: no HailoRT here and no fallback
    bad = ("-e", "hailo_inference_backend=hailo", "-e", "hailo_inference_fallback_to_onnx=false")
    res = playbook(artifact_a, "--limit", host, *bad)
    assert res.rc != 0, "a configuration that cannot serve was kept"
    flat = res.flat
    assert "ROLLED BACK" in flat and "Nothing was activated" not in flat, flat[-3000:]
    assert current_release(host) == before, "current did not return to the previous release"
    config = on_host(
        host,
        "readlink -f /etc/hailo-inference/config.yaml; grep backend: "
        "/etc/hailo-inference/config.yaml",
    ).stdout
    assert f"{before}/config.yaml" in config and "backend: hailo" not in config, config
    wait_ready(url, timeout=60)
    assert healthz(url).get("model") == model_ref(artifact_a)


def test_a_unit_only_regression_is_rolled_back_with_its_release(
    host: str, url: str, artifact_a: Path, tmp_path: Path
) -> None:
    """Issue 28 item 2: the unit is part of the release. A change of the unit alone that stops
    the daemon (a stand-in regression: the role's own template plus an ExecStartPre that fails)
    is a new release, rolled back with its unit; the message says the unit changed. Before, the
    unit was rewritten in place, `current` did not move, the daemon stayed down and the play
    said "Nothing was activated"."""
    assert playbook(artifact_a, "--limit", host).rc == 0
    before = current_release(host)
    text = (ROLE / "templates" / "hailo-inference.service.j2").read_text()
    broken = tmp_path / "hailo-inference.service.j2"
    broken.write_text(text.replace("[Service]\n", f"[Service]\n{REGRESSION}\n", 1))
    res = playbook(artifact_a, "--limit", host, "-e", f"_hailo_inference_unit_template={broken}",
                   "-e", "hailo_inference_health_retries=15")  # fmt: skip
    assert res.rc != 0, "a unit that cannot start was kept"
    flat = res.flat
    assert "ROLLED BACK" in flat and "Nothing was activated" not in flat, flat[-3000:]
    assert "It changed the systemd unit against the previous release" in flat, flat[-3000:]
    assert current_release(host) == before, "current did not return to the previous release"
    unit = on_host(
        host,
        f"cmp {UNIT} {ROOT_DIR}/current/hailo-inference.service && echo same-as-current; "
        "systemctl cat hailo-inference.service | grep -c unit-only-regression; "
        "systemctl is-active hailo-inference.service",
    ).stdout.splitlines()[-3:]
    assert unit == ["same-as-current", "0", "active"], unit
    wait_ready(url, timeout=60)
    assert healthz(url).get("model") == model_ref(artifact_a)
    again = playbook(artifact_a, "--limit", host)
    assert again.rc == 0 and again.recap()[host]["changed"] == 0, again.out[-3000:]


def test_rollback_playbook_returns_to_the_previous_or_a_named_release(
    host: str, url: str, artifact_a: Path, artifact_b: Path
) -> None:
    assert playbook(artifact_a, "--limit", host).rc == 0
    release_a = Path(current_release(host)).name
    assert playbook(artifact_b, "--limit", host).rc == 0
    release_b = Path(current_release(host)).name
    assert release_a != release_b

    res = play(name="rollback.yml", limit=host)
    assert res.rc == 0, res.out[-3000:]
    assert Path(current_release(host)).name == release_a
    assert healthz(url).get("model") == model_ref(artifact_a)
    assert f"{host} serves {model_ref(artifact_a)}" in res.flat, "no health gate figures"

    res = play("-e", f"release={release_b}", name="rollback.yml", limit=host)
    assert res.rc == 0, res.out[-3000:]
    assert healthz(url).get("model") == model_ref(artifact_b)

    res = play("-e", "release=no-such-release", name="rollback.yml", limit=host)
    assert res.rc != 0
    flat = res.flat
    assert "has no release no-such-release" in flat and release_a in flat, flat[-3000:]
    assert Path(current_release(host)).name == release_b, "a refused rollback changed the release"


def test_uninstall_leaves_nothing_behind_then_the_host_deploys_again(
    host: str, url: str, artifact_a: Path
) -> None:
    res = play(name="uninstall.yml", limit=host)
    assert res.rc == 0, res.out[-3000:]
    left = on_host(
        host,
        "for p in /opt/hailo-inference /etc/hailo-inference /var/lib/hailo-inference "
        "/var/log/hailo-inference /etc/logrotate.d/hailo-inference "
        "/etc/systemd/system/hailo-inference.service "
        "/etc/systemd/system/hailo-inference-select.service "
        "/etc/systemd/system/hailo-inference-select.timer; do [ -e $p ] && echo LEFT $p; done; "
        "[ -L /usr/local/bin/hailo-inference ] && echo LEFT PATH link; "
        "getent passwd hailo-inference && echo LEFT user; "
        "getent group hailo-inference && echo LEFT group; "
        "systemctl list-units --all --no-legend 'hailo-inference*' | grep -q . && echo LEFT unit; "
        "ss -ltn | grep -q ':9000 ' && echo LEFT port; true",
    )
    assert "LEFT" not in left.stdout, left.out
    again = play(name="uninstall.yml", limit=host)
    assert again.rc == 0 and again.recap()[host]["changed"] == 0, again.out[-3000:]
    res = playbook(artifact_a, "--limit", host)
    assert res.rc == 0, res.out[-3000:]
    wait_ready(url, timeout=60)
    assert healthz(url).get("model") == model_ref(artifact_a)

"""Fleet check: `hailo-inference` is on PATH on every edge host, the active release's (a link
through /opt/hailo-inference/current), and `hailo-inference --check-config` accepts the deployed
configuration, run from PATH as an operator would (sudo: the config is root:hailo-inference 0640).

Runs after test_inference.py (which deploys when nothing is deployed yet).
"""

from __future__ import annotations

from fleetlib import hosts, lab_marks

CONFIG = "/etc/hailo-inference/config.yaml"
LINK = "/usr/local/bin/hailo-inference"
ENTRY = "/opt/hailo-inference/current/venv/bin/hailo-inference"

pytestmark = lab_marks()
testinfra_hosts = hosts("edge")


def test_hailo_inference_on_path_is_the_active_release(host) -> None:
    assert host.check_output("command -v hailo-inference") == LINK
    assert host.file(LINK).linked_to == host.check_output(f"readlink -f {ENTRY}")
    assert host.check_output(f"readlink {LINK}") == ENTRY  # through current: rollback follows


def test_check_config_from_path_accepts_the_deployed_config(host) -> None:
    r = host.run(f"hailo-inference --check-config {CONFIG}")
    assert r.rc == 0, r.stdout + r.stderr
    assert f"{CONFIG} is valid" in r.stdout, r.stdout

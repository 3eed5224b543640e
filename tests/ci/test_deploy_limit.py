"""Issue 28 item 4: deploy.yml's `limit` input reaches ansible-playbook only as a shell-safe list
of names (make passes DEPLOY_ARGS to the shell unquoted), checked in every step that uses it.

Each step's own check is run with bash on good and hostile inputs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())


def _limit_steps() -> list[dict]:
    found = []
    for job in DOC["jobs"].values():
        for step in job.get("steps", []):
            if "inputs.limit" in str(step.get("env", {})) or "inputs.limit" in step.get("run", ""):
                found.append(step)
    return found


def test_limit_is_an_optional_string_input_used_by_preview_and_rollout() -> None:
    on = DOC.get("on", DOC.get(True))  # PyYAML reads the key `on` as True
    spec = on["workflow_dispatch"]["inputs"]["limit"]
    assert spec["type"] == "string" and spec["required"] is False and spec["default"] == ""
    steps = _limit_steps()
    assert len(steps) == 2, [s.get("name") for s in steps]
    for step in steps:
        assert "${{" not in step["run"], "inputs reach the script through env only"
        assert step["env"]["LIMIT"] == "${{ inputs.limit }}"


def _deploy_args(run: str, limit: str, tmp_path: Path) -> subprocess.CompletedProcess:
    make = tmp_path / "make"
    make.write_text('#!/bin/bash\nfor a in "$@"; do echo "ARG<$a>"; done\n')
    make.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "LIMIT": limit, "ARTIFACT": "/a",
           "RUNNER_TEMP": str(tmp_path), "WHEELHOUSE_TARGETS": "aarch64-cp311"}  # fmt: skip
    return subprocess.run(["bash", "-c", run], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("limit", ["", "pi-kitchen", "pi-kitchen,pi-garage", "edge:pi_1.lan"])
def test_names_pass(limit: str, tmp_path: Path) -> None:
    for step in _limit_steps():
        r = _deploy_args(step["run"], limit, tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        want = f"--limit {limit}" if limit else "hailo_inference_artifact=/a"
        assert want in r.stdout, r.stdout


@pytest.mark.parametrize(
    "limit",
    ["@retry.txt", "~pi-.*", "pi-1 -e x=y", "pi-1;id", "$(id)", "pi-*", "!pi-1", "pi&pi",
     "-e", "pi-1\n-e"],
)  # fmt: skip
def test_anything_else_is_refused_before_make(limit: str, tmp_path: Path) -> None:
    for step in _limit_steps():
        r = _deploy_args(step["run"], limit, tmp_path)
        assert r.returncode != 0, r.stdout
        assert "ARG<" not in r.stdout, f"make ran with {limit!r}: {r.stdout}"
        assert "names of hosts or groups only" in r.stdout + r.stderr

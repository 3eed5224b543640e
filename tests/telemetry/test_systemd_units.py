"""The selector's systemd templates render (as the role renders them) into units that
systemd-analyze accepts, hardened (exposure <= 2.0; --threshold counts in tenths), with the
ansible_managed header."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("hailo-inference-select.service", "hailo-inference-select.timer")


def role_defaults() -> dict:
    """The role's defaults, as the role renders the templates (no inline fallbacks)."""
    return yaml.safe_load((ROOT / "roles/hailo_inference/defaults/main.yml").read_text())


def render(tmp_path: Path) -> Path:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    for name in UNITS:
        text = (ROOT / "roles/hailo_inference/templates" / f"{name}.j2").read_text()
        assert text.startswith("# {{ ansible_managed }}\n")
        out = env.from_string(text).render(
            {
                **role_defaults(),
                "ansible_managed": "Ansible managed",
                "inventory_hostname": "pi-1",
                "_hailo_inference_select_python": sys.executable,  # verify wants an executable
                "hailo_inference_user": "root",
                "hailo_inference_group": "root",
            }
        )
        (tmp_path / name).write_text(out)
    return tmp_path


def test_rendered_service_runs_the_selector_for_this_host(tmp_path):
    svc = (render(tmp_path) / UNITS[0]).read_text()
    assert f"ExecStart={sys.executable} -m edge_telemetry select " in svc
    assert "--host pi-1" in svc and "--top-k 100" in svc and "--since 24h" in svc
    assert "--out /var/lib/hailo-inference/selections/latest.ndjson" in svc
    timer = (tmp_path / UNITS[1]).read_text()
    assert "OnCalendar=*-*-* 03:15:00" in timer and "Persistent=true" in timer


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify_is_silent_and_exposure_low(tmp_path):
    d = render(tmp_path)
    r = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *UNITS], cwd=d, capture_output=True, text=True
    )
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
    r = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", UNITS[0]],
        cwd=d, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr

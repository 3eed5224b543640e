"""Each DFC row of edge_artifact/hailo_pairs.json carries its own support matrix and the compile
preflight checks the row of the DFC wheel it installs (issue 27 item 5), not DFC 3.33's.
No DFC runs here: the preflight reads the wheel's name (verified against a fake, not on hardware).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from edge_artifact import hailo_pairs
from local_play import ANSIBLE, run_play
from tool_output import play_recap

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PYVER = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_pairs_of_the_pi_archives_and_each_rows_matrix() -> None:
    rows = {p.dfc: p for p in hailo_pairs.pairs()}
    assert rows["3.27"].hailort == "4.17" and rows["3.28"].hailort == "4.18"
    assert rows["3.27"].hef_header_version == rows["3.28"].hef_header_version == 1
    assert hailo_pairs.check_target("3.27.0", "4.17.0") is None
    assert "install DFC 3.28 for HailoRT 4.18.0" in (
        hailo_pairs.check_target("3.30.0", "4.18.0") or ""
    )
    import json

    raw = {r["dfc"]: r for r in json.loads(hailo_pairs.TABLE.read_text())["pairs"]}
    for dfc, row in raw.items():
        assert row["python"] and row["os"] and "GETTING_STARTED" in row["matrix_source"], dfc
    assert raw["3.30"]["python"] == ["3.8", "3.9", "3.10"]  # Model Zoo v2.14
    assert {"distribution": "Ubuntu", "version": "24.04"} not in raw["3.30"]["os"]
    assert raw["3.33"]["python"] == ["3.10", "3.11", "3.12"]  # Model Zoo v2.17


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
@pytest.mark.skipif(PYVER != "3.11", reason="the cases below are chosen for Python 3.11")
def test_compile_preflight_checks_the_matrix_of_the_wheels_dfc(tmp_path: Path) -> None:
    """Python 3.11: DFC 3.30 (Python <= 3.10, Model Zoo v2.14) is refused naming its row; DFC
    3.33 (3.10-3.12) passes; an explicit hailo_compiler_dfc_python_versions still wins. Fails on
    the old preflight, which checked every DFC against 3.33's list."""
    wh = tmp_path / "wheelhouse"
    (wh / "project").mkdir(parents=True)
    (wh / "toolchain.tar").write_text("")

    def wheel(v: str) -> str:
        w = tmp_path / f"hailo_dataflow_compiler-{v}-py3-none-linux_x86_64.whl"
        w.write_text("")
        return str(w)

    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "hailo_compiler_python": sys.executable, "hailo_compiler_wheelhouse": str(wh),
            "hailo_compiler_repo": str(ROOT),
            "hailo_compiler_dfc_allow_unsupported_os": True}  # fmt: skip
    inventory = {"gpusrv": {"hosts": {
        "dfc330": host | {"hailo_compiler_dfc_wheel": wheel("3.30.0")},
        "dfc333": host | {"hailo_compiler_dfc_wheel": wheel("3.33.0"),
                          "hailo_compiler_target_hailort_version": "4.23.0"},
        "dfc330own": host | {"hailo_compiler_dfc_wheel": wheel("3.30.0"),
                             "hailo_compiler_dfc_python_versions": [PYVER]},
    }}}  # fmt: skip
    play = (
        "- hosts: gpusrv\n  gather_facts: true\n  gather_subset: [min]\n  tasks:\n"
        "    - ansible.builtin.include_role: {name: hailo_compiler, tasks_from: preflight}\n"
    )
    r = run_play(tmp_path, inventory, play)
    out = r.stdout + r.stderr
    failed = {h: counts["failed"] for h, counts in play_recap(r.stdout).items()}
    assert failed == {"dfc330": 1, "dfc333": 0, "dfc330own": 0}, out
    flat = " ".join(out.split())
    assert "DFC 3.30 (hailo-ai/hailo_model_zoo v2.14" in flat, flat[-3000:]
    assert "supports Python 3.8, 3.9, 3.10 but" in flat, flat[-3000:]

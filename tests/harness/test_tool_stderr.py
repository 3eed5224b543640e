"""No harness parses a tool's stderr as data (issue 25 item 2).

A fresh .venv-ctl once resolved cryptography 51, whose import by ansible-core prints a
CryptographyDeprecationWarning on stderr; tests/deploy's edge_hosts parsed `ansible-inventory
--list` with stderr appended and 33 lab tests errored with `JSONDecodeError: Extra data`. Here
each harness function that parses a tool's output runs against a stand-in tool that prints valid
output on stdout and such a warning on stderr (and, where .venv-ctl exists, the real
ansible-inventory with a real [WARNING]); stderr must show up in messages, never in the data.
No lab needed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from pathlib import Path
from types import ModuleType

import deploylib
import pytest
import tool_output

ROOT = Path(__file__).resolve().parents[2]

WARNING = (
    "/work/.venv-ctl/lib/python3.12/site-packages/ansible/_internal/_ssh/_ssh_agent.py:18: "
    "CryptographyDeprecationWarning: DSA is deprecated and support will be removed in a future "
    "release. Use a more modern signature algorithm.\n"
    "  from cryptography.hazmat.primitives.asymmetric.dsa import (\n"
)
INVENTORY = {
    "_meta": {
        "hostvars": {
            "pi-a": {"ansible_host": "10.9.0.11"},
            "pi-b": {"ansible_host": "10.9.0.12"},
            "gpu": {"ansible_host": "10.9.0.21"},
        }
    },
    "all": {"children": ["ungrouped", "edge", "gpusrv"]},
    "edge": {"hosts": ["pi-a", "pi-b"]},
    "gpusrv": {"hosts": ["gpu"]},
}
RECAP = (
    "PLAY RECAP *********************************************************************\n"
    "pi-a                       : ok=12   changed=3    unreachable=0    failed=0    "
    "skipped=2    rescued=0    ignored=0   \n"
    "pi-b                       : ok=4    changed=0    unreachable=0    failed=1    "
    "skipped=0    rescued=0    ignored=0   \n"
)


def tool(folder: Path, name: str, stdout: str, stderr: str = WARNING, rc: int = 0) -> Path:
    """An executable `folder/name` printing `stdout` on stdout, `stderr` on stderr, exiting rc."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.stdout").write_text(stdout)
    (folder / f"{name}.stderr").write_text(stderr)
    exe = folder / name
    exe.write_text(
        f"#!/bin/sh\ncat '{folder / name}.stderr' >&2\ncat '{folder / name}.stdout'\nexit {rc}\n"
    )
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe


# ---- tests/tool_output.py: the one "stdout is data, stderr is for people" helper -------------
def test_stdout_json_parses_stdout_with_a_warning_on_stderr(tmp_path: Path) -> None:
    exe = tool(tmp_path, "ansible-inventory", json.dumps(INVENTORY, indent=4) + "\n")
    assert tool_output.stdout_json([exe, "--list"]) == INVENTORY


def test_stdout_json_names_stderr_when_stdout_is_not_json(tmp_path: Path) -> None:
    exe = tool(tmp_path, "pip", "pip 24.0 from /x (python 3.11)\n", stderr="pip: a complaint\n")
    with pytest.raises(tool_output.ToolOutputError, match=r"(?s)not JSON.*pip 24\.0.*complaint"):
        tool_output.stdout_json([exe, "inspect"])


def test_stdout_json_of_a_failed_tool_shows_its_stderr(tmp_path: Path) -> None:
    exe = tool(tmp_path, "ip", '{"ok": true}', stderr="ip: Operation not permitted\n", rc=2)
    with pytest.raises(tool_output.ToolOutputError, match=r"(?s)exited 2.*Operation not permitted"):
        tool_output.stdout_json([exe, "-j", "link"])


def test_play_recap_reads_only_the_recap_rows() -> None:
    stdout = "TASK [x] ***\nok: [pi-a]\nmsg: pi-z : ok=9 looks like a row, before the recap\n"
    assert tool_output.play_recap(stdout + "\n" + RECAP) == {
        "pi-a": {"ok": 12, "changed": 3, "unreachable": 0, "failed": 0, "skipped": 2,
                 "rescued": 0, "ignored": 0},
        "pi-b": {"ok": 4, "changed": 0, "unreachable": 0, "failed": 1, "skipped": 0,
                 "rescued": 0, "ignored": 0},
    }  # fmt: skip


# ---- tests/deploy/deploylib.py (tests/deploy, tests/fleet) ------------------------------------
@pytest.fixture
def ctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """deploylib's controller bin folder, pointed at an empty folder for stand-in tools."""
    bin_dir = tmp_path / "ctl-bin"
    bin_dir.mkdir()
    monkeypatch.setattr(deploylib, "CTL", bin_dir)
    monkeypatch.setattr(deploylib, "INVENTORY", tmp_path / "inventory")
    return bin_dir


def test_edge_hosts_parse_ansible_inventory_stdout_despite_a_warning(ctl: Path) -> None:
    """The fixture edge_hosts is deploylib.inventory_hosts("edge"): this is the failure of
    issue 25 (stdout + stderr parsed: `JSONDecodeError: Extra data`)."""
    tool(ctl, "ansible-inventory", json.dumps(INVENTORY, indent=4) + "\n")
    assert deploylib.inventory_hosts("edge") == {"pi-a": "10.9.0.11", "pi-b": "10.9.0.12"}
    assert deploylib.inventory_hosts("gpusrv") == {"gpu": "10.9.0.21"}


def test_a_failing_ansible_inventory_says_what_it_printed_on_stderr(ctl: Path) -> None:
    tool(ctl, "ansible-inventory", "", stderr="[ERROR]: no inventory at /x\n", rc=1)
    with pytest.raises(AssertionError, match=r"(?s)exited 1.*no inventory at /x"):
        deploylib.inventory_hosts("edge")


def test_playbook_recap_comes_from_stdout_only(ctl: Path) -> None:
    """Whatever stderr says (here a warning quoting a recap-like row) never reaches recap()."""
    noise = WARNING + "pi-a : ok=0 changed=9 unreachable=0 failed=7\n[WARNING]: something\n"
    tool(ctl, "ansible-playbook", "PLAY [edge] ***\n\n" + RECAP, stderr=noise)
    res = deploylib.run([str(ctl / "ansible-playbook"), "site.yml"])
    assert res.recap()["pi-a"]["failed"] == 0 and res.recap()["pi-a"]["changed"] == 3
    assert res.recap()["pi-b"]["failed"] == 1
    assert "CryptographyDeprecationWarning" in res.out, "stderr is still shown to people"


def test_on_host_stdout_is_the_ad_hoc_report_without_the_controllers_stderr(ctl: Path) -> None:
    """The lab tests parse on_host(...).stdout: the last line of `readlink` (test_scenarios,
    test_release_lab), `systemctl show -P` values, `wc -l` counts, a JSON local fact."""
    fact = {"library_version": "4.20.0", "reboot_pending": False}
    tool(ctl, "ansible", f"pi-a | CHANGED | rc=0 >>\n{json.dumps(fact)}\n/opt/r/2\n")
    res = deploylib.on_host("pi-a", "cat /etc/ansible/facts.d/hailort.fact; readlink current")
    assert res.rc == 0
    assert res.stdout.strip().splitlines()[-1] == "/opt/r/2"
    assert json.loads(res.stdout.splitlines()[1]) == fact
    assert WARNING in res.out and WARNING not in res.stdout


@pytest.mark.skipif(
    not (ROOT / ".venv-ctl/bin/ansible-inventory").exists(), reason=".venv-ctl missing"
)
def test_edge_hosts_with_the_real_ansible_inventory_and_a_real_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real ansible-inventory, made to print [WARNING]s on stderr (an inventory file it
    cannot parse beside a good one), as cryptography's warning was."""
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "hosts.yml").write_text(
        "edge:\n  hosts:\n"
        "    pi-a: {ansible_host: 10.9.0.11}\n    pi-b: {ansible_host: 10.9.0.12}\n"
    )
    (inv / "broken.yml").write_text("edge: [unclosed\n")
    monkeypatch.setattr(deploylib, "CTL", ROOT / ".venv-ctl" / "bin")
    monkeypatch.setattr(deploylib, "INVENTORY", inv)
    res = deploylib.run([str(deploylib.CTL / "ansible-inventory"), "-i", str(inv), "--list"])
    assert "[WARNING]" in res.stderr, "the stand-in for the warning did not appear"
    assert deploylib.inventory_hosts("edge") == {"pi-a": "10.9.0.11", "pi-b": "10.9.0.12"}


# ---- roles/hailo_verify/files/verify_host.py (runs on the host) -------------------------------
def _verify_host() -> ModuleType:
    path = ROOT / "roles" / "hailo_verify" / "files" / "verify_host.py"
    spec = importlib.util.spec_from_file_location("verify_host_stderr_probe", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_verify_stack_parses_the_tools_stdout_not_their_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hailortcli and modinfo print their answer on stdout; a modinfo warning naming the
    kernel's version (x.y.z) on stderr must not become the driver version."""
    bin_dir = tmp_path / "bin"
    identify = "Firmware Version: 4.20.0 (release,app)\nDevice Architecture: HAILO8L\n"
    hailortcli = tool(bin_dir, "hailortcli", "", stderr="")
    hailortcli.write_text(
        "#!/bin/sh\n"
        'echo "[HailoRT] [warning] libhailort 4.17.0 found in /usr/lib too" >&2\n'
        f'if [ "$1" = --version ]; then echo "HailoRT-CLI version 4.20.0"; '
        f"else printf '{identify}'; fi\n"
    )
    tool(bin_dir, "modinfo", "", stderr="modinfo: WARNING: /lib/modules/6.1.0-21-arm64/modules"
         ".dep.bin not found\n")  # fmt: skip
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    got = _verify_host().stack(sys_root=tmp_path)  # no module/hailo_pci: nothing loaded
    assert got["library_version"] == "4.20.0", got
    assert got["driver_installed_version"] is None, got  # modinfo printed no version
    assert got["firmware_version"] == "4.20.0" and got["architecture"] == "HAILO8L", got
    assert "Firmware Version: 4.20.0" in got["identify_output"], "shown to people"
    assert "[HailoRT] [warning]" in got["identify_output"], "stderr is still shown to people"


# ---- .github/scripts/gate_summary.py: reads a log that has stderr in it ----------------------
def test_gate_summary_reads_a_log_with_the_controllers_stderr_merged_in() -> None:
    """deploy.yml tees `make deploy 2>&1` into site.log (a log for people, owned by the
    workflow); gate_summary.py then takes only lines of the two shapes it knows, so warnings
    anywhere in the log, even between the recap's rows, change nothing."""
    path = ROOT / ".github" / "scripts" / "gate_summary.py"
    spec = importlib.util.spec_from_file_location("gate_summary_stderr_probe", path)
    assert spec and spec.loader
    gs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gs)
    fig = {"backend": "onnx", "cosine": 0.9999999, "ok": True}
    msg = json.dumps(f"pi-a serves m@1: {json.dumps(fig)}")
    warning = WARNING.splitlines()
    log = [
        *warning,
        "ok: [pi-a] => {",
        *warning,
        f'    "msg": {msg}',
        "}",
        *RECAP.splitlines()[:2],
        *warning,
        "[WARNING]: Deprecation warnings can be disabled by setting `deprecation_warnings=False`",
        *RECAP.splitlines()[2:],
        *warning,
    ]
    assert gs.gate_figures(log) == {"pi-a": {"model": "m@1", **fig}}
    assert {h: c["failed"] for h, c in gs.recap(log).items()} == {"pi-a": 0, "pi-b": 1}

"""Tests run ansible-playbook through one helper per kind of run (issue 26 item 6).

Lab tests go through `deploylib.play` (the lab inventory, the lab vars, the artifact, the output's
tail printed); unit tests' local plays through `local_play.ansible_playbook` / `run_play` (the
repo's ansible.cfg, a clean environment). A test that builds its own `ansible-playbook` command
line drifts from both (another environment, no output on failure): this finds it by the AST, so
a mention in a docstring or comment does not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNERS = {
    ROOT / "tests/deploy/deploylib.py",
    ROOT / "tests/roles/local_play.py",
    # fakes the tool itself (a script named ansible-playbook) to test deploylib's stream handling
    ROOT / "tests/harness/test_tool_stderr.py",
    # fakes it too: scripts/rollout.py runs ansible-playbook per slice (ROLLOUT_ANSIBLE_BIN)
    ROOT / "tests/roles/test_rollout_sliced.py",
    ROOT / "tests/docs/test_one_play_runner.py",  # this check's own names and sample
}
TOOL = "ansible" + "-playbook"


def _builds_a_command(path: Path) -> list[int]:
    """Lines where a string constant names the ansible-playbook executable."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text == TOOL or text.endswith("/" + TOOL):
                lines.append(node.lineno)
    return sorted(lines)


def offenders(root: Path) -> dict[str, list[int]]:
    found = {}
    for path in sorted((root / "tests").rglob("*.py")):
        if path not in OWNERS and (lines := _builds_a_command(path)):
            found[str(path.relative_to(root))] = lines
    return found


def test_every_playbook_run_goes_through_one_helper() -> None:
    found = offenders(ROOT)
    assert not found, (
        "these tests build their own ansible-playbook command; use deploylib.play (lab) or "
        f"local_play.ansible_playbook / run_play (local stand-ins): {found}"
    )


def test_the_check_sees_a_hand_built_command(tmp_path: Path) -> None:
    bad = tmp_path / "tests" / "test_x.py"
    bad.parent.mkdir()
    bad.write_text(
        '"""ansible-playbook site.yml in a docstring is fine."""\n'
        'CTL = "/x"\ncmd = [CTL + "/ansible-playbook", "site.yml"]\n'
        'other = ["ansible-playbook", "-i", "inv"]\n'
    )
    assert offenders(tmp_path) == {"tests/test_x.py": [3, 4]}

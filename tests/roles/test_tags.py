"""Every tag of site.yml ends with the health gate (issue 28 item 3), read from Ansible itself.

`ansible-playbook site.yml --list-tags` names the tags and `--list-tasks --tags X` (or
`--skip-tags X`) the tasks a partial run would run. Whatever is selected, the edge play must run
the gate after the last step that can change what a host serves (the accelerator stack, the
daemon release), with the handlers flushed first; `--skip-tags` must not drop it either. What
the gate then checks in a partial run (the release `current` serves, not the artifact the run
would have deployed) and that `--tags hailo_inference_run` never points `current` at a release
it did not build are lab tests (tests/deploy/test_tags_lab.py).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from local_play import ANSIBLE, ansible_playbook

ROOT = Path(__file__).resolve().parents[2]
EDGE_PLAY = "Roll out HailoRT and hailo-inference to the edge fleet"
CHANGES_SERVING = ("Install the accelerator stack", "Install the daemon release")
GATE = "Run the health gate"
FLUSH = "Restart or reload the daemon now, inside this batch"

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: make setup")


def _ansible(*args: str) -> str:
    p = ansible_playbook("-i", "inventory/production", "site.yml", *args)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def _tags() -> list[str]:
    out = _ansible("--list-tags")
    found = set()
    for listed in re.findall(r"TASK TAGS: \[([^\]]*)\]", out):
        found |= {t.strip() for t in listed.split(",") if t.strip()}
    return sorted(found)


TAGS = _tags() if ANSIBLE.exists() else []


# every tag alone, every tag but `always` skipped at once, and a run with no selection
SELECTIONS = [("--tags", t) for t in TAGS] + [
    ("--skip-tags", ",".join(t for t in TAGS if t != "always")),
    (),
]


@cache
def _listings() -> dict[tuple[str, ...], str]:
    """`--list-tasks` for every selection, run side by side (each is a few seconds of startup)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = pool.map(lambda sel: _ansible("--list-tasks", *sel), SELECTIONS)
        return dict(zip(SELECTIONS, outs, strict=True))


def _edge_tasks(*args: str) -> list[str]:
    """The edge play's task names, in order, for a run with `args`."""
    out = _listings()[args]
    play = out[out.index(EDGE_PLAY) :]
    return [m.group(1).strip() for m in re.finditer(r"^ {6}(\S.*?)\tTAGS:", play, flags=re.M)]


def test_the_tags_are_the_documented_ones() -> None:
    """A new tag must get a case here (and a look at whether it changes what is served)."""
    assert TAGS == [
        "always",
        "hailo_inference",
        "hailo_inference_configure",
        "hailo_inference_install",
        "hailo_inference_run",
        "hailort",
        "telemetry",
    ]


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: " ".join(s) or "all")
def test_every_selection_ends_with_the_gate_after_what_it_changes(selection: tuple[str, ...]):
    tasks = _edge_tasks(*selection)
    assert GATE in tasks and FLUSH in tasks, tasks
    gate = tasks.index(GATE)
    assert tasks.index(FLUSH) < gate, tasks
    for step in CHANGES_SERVING:
        if step in tasks:
            assert tasks.index(step) < gate, f"{step} runs after the gate: {tasks}"


@pytest.mark.parametrize("tag", ["hailort", "telemetry", "hailo_inference_run"])
def test_the_partial_runs_of_issue_28_run_what_they_name_and_the_gate(tag: str) -> None:
    """The three partial runs issue 28 names: each still runs its own step, then the gate."""
    tasks = _edge_tasks("--tags", tag)
    step = "Install the accelerator stack" if tag == "hailort" else "Install the daemon release"
    assert step in tasks and tasks.index(step) < tasks.index(GATE), tasks

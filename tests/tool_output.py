"""Reading what a tool prints: its stdout is the data, its stderr is for people.

The one owner of that rule for the test harnesses (tests/deploy, tests/fleet, tests/roles, ...):
a tool's stderr carries whatever its libraries choose to say (e.g. ansible-core importing
cryptography >= 45 prints a `CryptographyDeprecationWarning`), so it is captured separately and
shown in error messages, never concatenated into what is parsed. Standard library only: the lab
suites import it from the controller venv (.venv-ctl) too. On sys.path as `tool_output`, since
pytest puts tests/ there for tests/conftest.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_RECAP_ROW = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")


class ToolOutputError(AssertionError):
    """A tool failed, or its stdout was not what the harness reads (an AssertionError, so pytest
    reports it as a failed check); the message holds both streams' tails."""


def _tail(text: str, n: int = 2000) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def describe(cmd: Sequence[str], rc: int, stdout: str, stderr: str) -> str:
    """The command, its exit code and both streams' tails, each labelled: for error messages."""
    return (
        f"{' '.join(str(c) for c in cmd)} exited {rc}\n"
        f"--- stdout ---\n{_tail(stdout)}\n--- stderr ---\n{_tail(stderr)}"
    )


def run_tool(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` with stdout and stderr captured separately (never stderr=STDOUT); no check."""
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def json_from_stdout(cmd: Sequence[str], rc: int, stdout: str, stderr: str) -> Any:
    """Parse an already finished tool's stdout as one JSON document; `stderr` appears only in
    the error raised when the tool failed or its stdout is not JSON."""
    if rc != 0:
        raise ToolOutputError(describe(cmd, rc, stdout, stderr))
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as exc:
        msg = f"stdout is not JSON ({exc}): {describe(cmd, rc, stdout, stderr)}"
        raise ToolOutputError(msg) from exc


def stdout_json(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Any:
    """Run `cmd` and parse its stdout as JSON (`ansible-inventory --list`, `pip inspect`,
    `ip -j ...`); a non-zero exit or non-JSON stdout raises ToolOutputError with both streams."""
    p = run_tool(cmd, cwd=cwd, env=env, timeout=timeout)
    return json_from_stdout(cmd, p.returncode, p.stdout, p.stderr)


def play_recap(stdout: str) -> dict[str, dict[str, int]]:
    """ansible-playbook's PLAY RECAP counters per host (ok, changed, failed, ...), read from its
    stdout only, after the last `PLAY RECAP` line (the whole stdout when there is none)."""
    recap = stdout.rpartition("PLAY RECAP")[2]
    rows: dict[str, dict[str, int]] = {}
    for line in recap.splitlines():
        m = _RECAP_ROW.match(line.strip())
        if m:
            rows[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return rows

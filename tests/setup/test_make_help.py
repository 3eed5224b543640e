"""`make help` (the default goal): every target documented with `## ` in Makefile or mk/*.mk is
listed once with its text, in one aligned column whatever the longest name (test-lab-arm64 has
digits; telemetry-dashboard is longer than the 14 characters the column once had)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `name: [prerequisites] ## text`, never a variable (`NAME := value ## ...`)
DOCUMENTED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?![=:])[^#]*##\s+(.*\S)\s*$")


def _documented() -> dict[str, str]:
    found: dict[str, str] = {}
    for mk in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for line in mk.read_text().splitlines():
            m = DOCUMENTED.match(line)
            if m:
                found[m.group(1)] = m.group(2)
    return found


def _help() -> list[str]:
    r = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_make_help_lists_every_documented_target_in_one_aligned_column():
    documented = _documented()
    assert {"help", "test-lab-arm64", "model-import", "telemetry-dashboard"} <= set(documented)
    lines = _help()
    listed: dict[str, str] = {}
    columns: set[int] = set()
    for line in lines:
        m = re.match(r"^  make (\S+)( +)(\S.*)$", line)
        assert m, f"not a `  make <target>  <text>` line: {line!r}"
        assert m.group(1) not in listed, f"{m.group(1)} listed twice"
        listed[m.group(1)] = m.group(3)
        columns.add(m.start(3))
    missing = sorted(set(documented) - set(listed))
    assert not missing, f"make help omits {missing}:\n" + "\n".join(lines)
    assert listed == documented
    widest = max(map(len, documented))
    # every text starts in the same column: two spaces after the longest name
    assert columns == {len("  make ") + widest + 2}, "\n".join(lines)

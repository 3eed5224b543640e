"""ansible-core's own answers, asked of .venv-ctl's Python (the unit venv has no ansible)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

CTL_PYTHON = Path(__file__).resolve().parents[1] / ".venv-ctl/bin/python"
ROLLOUT = Path(__file__).resolve().parents[1] / "scripts"
_BATCHES = """\
import json, sys
sys.path.insert(0, sys.argv[2])
from rollout import batches  # scripts/rollout.py: ansible-core's own _get_serialized_batches
print(json.dumps([[len(b) for b in batches(list(range(n)), serial)]
                  for serial, n in json.loads(sys.argv[1])]))
"""


def serialized_batches(cases: list[tuple[list, int]]) -> list[list[int]]:
    """Batch sizes PlaybookExecutor._get_serialized_batches makes for each (serial, hosts)."""
    if not CTL_PYTHON.exists():
        pytest.skip(".venv-ctl missing (make setup): ansible-core not installed")
    r = subprocess.run([str(CTL_PYTHON), "-c", _BATCHES, json.dumps(cases), str(ROLLOUT)],
                       capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)

"""ansible-core's own answers, asked of .venv-ctl's Python (the unit venv has no ansible)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

CTL_PYTHON = Path(__file__).resolve().parents[1] / ".venv-ctl/bin/python"
_BATCHES = """\
import json, sys, types
from ansible.executor.playbook_executor import PlaybookExecutor as P
out = []
for serial, n in json.loads(sys.argv[1]):
    hosts = lambda pattern, order=None, n=n: list(range(n))
    me = types.SimpleNamespace(_inventory=types.SimpleNamespace(get_hosts=hosts))
    play = types.SimpleNamespace(hosts='edge', order=None, serial=serial)
    out.append([len(b) for b in P._get_serialized_batches(me, play)])
print(json.dumps(out))
"""


def serialized_batches(cases: list[tuple[list, int]]) -> list[list[int]]:
    """Batch sizes PlaybookExecutor._get_serialized_batches makes for each (serial, hosts)."""
    if not CTL_PYTHON.exists():
        pytest.skip(".venv-ctl missing (make setup): ansible-core not installed")
    r = subprocess.run([str(CTL_PYTHON), "-c", _BATCHES, json.dumps(cases)],
                       capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)

"""The supervisor (server.workers > 1) never does numeric work: its import graph, and what it
imports while it runs, must stay free of numpy, ONNX Runtime, Flask and the daemon's server
(they made it 54 MB RSS instead of 26 MB on the dev VM)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from daemon_helpers import PY

HEAVY = ("numpy", "onnxruntime", "flask", "prometheus_client", "hailo_inference.server")


def test_importing_the_supervisor_pulls_no_numpy_onnxruntime_flask_or_prometheus():
    probe = (
        "import sys, hailo_inference.supervisor\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", (
        f"importing hailo_inference.supervisor pulls {out.stdout.strip()}: import it lazily where "
        "it is used, or move the code that needs it out of the modules the supervisor imports"
    )


def test_a_running_supervisor_with_two_workers_maps_no_numpy(live, tiny_artifact):
    """At run time too (lazy imports in its loop count): numpy's shared objects never load."""
    d = live(tiny_artifact, server={"workers": 2})
    maps = Path(f"/proc/{d.proc.pid}/maps").read_text()
    loaded = sorted({line.split()[-1] for line in maps.splitlines() if "numpy" in line})
    assert not loaded, f"the supervisor (pid {d.proc.pid}) mapped numpy: {loaded[:3]}"
    assert d.stop() == 0

"""Load from `hey` (Go, Debian package `hey`): every request's latency and status, so a 503 and
a 200 get their own percentiles (wrk reports one latency curve for all answers).

`hey -c C -z Ss -m POST -D body.json -o csv URL`: C workers, each one keep-alive connection,
each sending its next request when the previous one is answered; -o csv writes one line per
request. A Go client spends far less CPU per request than a Python one, which matters when
client and server share 2 cores. (Not hey's -q pacing: its workers start together, so their
ticks come in bursts of C; reliability.py's open loop is the paced load.)
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path


def available() -> str | None:
    """The hey binary on PATH, or None."""
    return shutil.which("hey")


def parse(stdout: str) -> list[tuple[float, int]]:
    """hey's CSV -> (latency in s, status) per request; a request that got no answer (timeout,
    reset) has status 0."""
    rows = csv.DictReader(io.StringIO(stdout))
    if rows.fieldnames is None or "status-code" not in rows.fieldnames:
        raise ValueError(f"not hey's CSV output:\n{stdout[-2000:]}")
    return [(float(r["response-time"]), int(r["status-code"] or 0)) for r in rows]


def run(
    url: str, body: bytes, conc: int, seconds: float, workdir: Path
) -> tuple[str, list[tuple[float, int]]]:
    """One hey run: the command line (body file abbreviated) and the per-request results."""
    exe = available()
    if exe is None:
        raise FileNotFoundError("hey is not installed (apt-get install hey)")
    data = workdir / "body.json"
    data.write_bytes(body)
    cmd = [exe, "-c", str(conc), "-z", f"{seconds:g}s", "-t", "5", "-m", "POST"]
    cmd += ["-T", "application/json", "-D", str(data), "-o", "csv", url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    shown = " ".join(cmd).replace(str(data), "body.json")
    return shown, parse(p.stdout)

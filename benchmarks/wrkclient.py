"""Closed-loop load with wrk (the C client the issue's figures came from), parsed into figures.

`wrk -t1 -cC -dSs --latency -s post.lua URL`: the Lua script POSTs one fixed JSON body per
request and, when wrk is done, prints one `WRK_JSON {...}` line with the request and error counts
and its latency percentiles (microseconds), which `parse` turns into the benchmark's figures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

MARK = "WRK_JSON "
# Percentile points kept for the latency curve (wrk's own estimate). Not 100: wrk 4.1's
# latency:percentile(100) answers 0; the curve ends at latency.max instead.
CURVE = [*range(1, 100), 99.5, 99.9]

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  local pts = {}
  for _, q in ipairs({%(curve)s}) do
    pts[#pts + 1] = string.format("[%%g,%%d]", q, latency:percentile(q))
  end
  io.write(string.format(
    '%(mark)s{"requests":%%d,"duration_us":%%d,"errors":{"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d},"latency_us":{"min":%%d,"max":%%d,"mean":%%f,' ..
    '"percentiles":[%%s]}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, table.concat(pts, ",")))
end
"""


def available() -> str | None:
    """The wrk binary on PATH, or None."""
    return shutil.which("wrk")


def script(body: bytes) -> str:
    """The Lua script POSTing `body` (JSON never holds "]=]": a level-1 long string is safe)."""
    text = body.decode()
    if "]=]" in text:
        raise ValueError("body contains ']=]'; it cannot be embedded in the Lua script")
    head = (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [=[{text}]=]\n"
    )
    return head + _DONE % {"curve": ",".join(f"{q:g}" for q in CURVE), "mark": MARK}


def parse(stdout: str) -> dict:
    """wrk's output -> requests/s, success rate, p50/p95/p99/max ms and the latency curve.

    Success: responses that were not non-2xx/3xx, over responses plus requests lost to socket
    errors and timeouts (wrk counts a timed-out request in `timeout`, not in `requests`)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise ValueError(f"no {MARK.strip()} line in wrk's output:\n{stdout[-2000:]}")
    d = json.loads(line[len(MARK) :])
    e, lat = d["errors"], d["latency_us"]
    seconds = d["duration_us"] / 1e6
    ok = d["requests"] - e["status"]
    lost = e["connect"] + e["read"] + e["write"] + e["timeout"]
    tried = d["requests"] + lost
    curve = {float(q): us / 1000 for q, us in lat["percentiles"]} | {100.0: lat["max"] / 1000}
    return {
        "requests": d["requests"],
        "seconds": seconds,
        "ok": ok,
        "errors": e,
        "success_rate": ok / tried if tried else float("nan"),
        "throughput_rps": d["requests"] / seconds if seconds else float("nan"),
        "windows_per_s": ok / seconds if seconds else float("nan"),
        "p50_ms": curve[50.0],
        "p95_ms": curve[95.0],
        "p99_ms": curve[99.0],
        "max_ms": lat["max"] / 1000,
        "mean_ms": lat["mean"] / 1000,
        "curve_ms": [[q, ms] for q, ms in curve.items()],
    }


def run(
    url: str, body: bytes, conc: int, seconds: float, workdir: Path, timeout_s: float = 2.0
) -> dict:
    """One wrk run (one thread, `conc` keep-alive connections) against `url`."""
    exe = available()
    if exe is None:
        raise FileNotFoundError("wrk is not installed (apt-get install wrk)")
    lua = workdir / "post.lua"
    lua.write_text(script(body))
    cmd = [exe, "-t1", f"-c{conc}", f"-d{seconds:g}s", f"--timeout={timeout_s:g}s", "--latency"]
    cmd += ["-s", str(lua), url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return {"client": "wrk", "command": " ".join([*cmd[:-2], "post.lua", url])} | parse(p.stdout)

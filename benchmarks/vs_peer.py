"""hailo-inference vs a plain FastAPI + uvicorn sidecar on the same artifact, in one run (issue 16).

    .venv/bin/python benchmarks/vs_peer.py --artifact artifacts/<model>/<version> [--workers N]

Part of `make bench` (~2.5 min with the defaults). In one session on loopback:
1. the bare backend in-process (the daemon's own ModelService: host tail + ONNX Runtime) with 1
   and N caller threads, single windows;
2. three servers started side by side, each on the same artifact with ONNX Runtime intra-op
   threads 1: hailo-inference with server.workers=1, with server.workers=N (N = --workers,
   default the CPU count; skipped with the daemon's own message when it does not accept the
   key), and the peer (benchmarks/peer_fastapi.py);
3. closed loop at concurrency 8 with wrk (`-t1 -c8 -d15s`, one golden window per POST; the
   Python closed loop of loadgen.py when wrk is not installed, said in the output), two rounds,
   the servers taking turns within each round so drift hits them alike;
4. open loop at 200 windows/s (loadgen.py's, latency from the intended send time);
5. server CPU per window (the server's process tree from /proc: benchmarks/procstat.py) over
   every run, and RSS per process and total after the closed loop.
Prints the table and the issue's targets (benchmarks/compare.py), writes vs_peer.json and
vs_peer_latency.png under --out. Figures on a busy machine are noise: see benchmarks/REPORT.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from edge_artifact import read_golden

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare
import loadgen
import procstat
import wrkclient

ROOT = Path(__file__).resolve().parents[1]
PEER = Path(__file__).resolve().parent / "peer_fastapi.py"
WORKERS_ENV = "HAILO_INFERENCE_SERVER_WORKERS"


@dataclass
class Server:
    name: str  # ours_w1 | ours_w<N> | peer
    label: str
    proc: subprocess.Popen
    port: int
    workers: int


def workers_refused(n: int) -> str | None:
    """None when this hailo-inference accepts server.workers=n, else its own message."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
    p = subprocess.run(
        [sys.executable, "-m", "hailo_inference", "--check-config", os.devnull],
        env=env | {WORKERS_ENV: str(n)},
        capture_output=True,
        text=True,
        check=False,
    )
    return None if p.returncode == 0 else (p.stderr or p.stdout).strip()


def golden_body(artifact: Path) -> bytes:
    """The artifact's first golden window as EdgeInfer sends it: {"x": [[9 floats] x 100]},
    each float32 in its shortest decimal form (as Swift's JSONEncoder writes a Float)."""
    x = np.asarray(read_golden(artifact).x[0], dtype=np.float32)
    return orjson.dumps({"x": [[float(str(v)) for v in row] for row in x]})


def start_peer(artifact: Path, threads: int, log: Path) -> tuple[subprocess.Popen, int]:
    port = loadgen.free_port()
    cmd = [sys.executable, str(PEER), "--artifact", str(artifact), "--port", str(port)]
    with log.open("wb") as f:
        proc = subprocess.Popen([*cmd, "--threads", str(threads)], stdout=f, stderr=f)
    loadgen.wait_ready(proc, port, "/healthz", f"peer (see {log})")
    return proc, port


def stop(s: Server) -> int | None:
    """SIGTERM (the daemon drains, uvicorn shuts down), then SIGKILL after 30 s."""
    if s.proc.poll() is None:
        s.proc.send_signal(signal.SIGTERM)
    try:
        return s.proc.wait(30)
    except subprocess.TimeoutExpired:
        s.proc.kill()
        return s.proc.wait(10)


class Runner:
    """Runs one load phase against a server and charges its tree's CPU to the windows served."""

    def __init__(self, body: bytes, conc: int, use_wrk: bool, workdir: Path) -> None:
        self.body, self.conc, self.use_wrk, self.workdir = body, conc, use_wrk, workdir

    def _charge(self, s: Server, run: Any) -> dict:
        t0 = procstat.cpu_seconds(s.proc.pid)
        r = run()
        cpu = procstat.cpu_seconds(s.proc.pid) - t0
        ok = r.get("ok", round(r["requests"] * r["success_rate"]))
        per = compare.per_window_ms(cpu, ok)
        return r | {"ok": ok, "server_cpu_s": cpu, "cpu_ms_per_window": per}

    def closed(self, s: Server, seconds: float) -> dict:
        if self.use_wrk:
            url = f"http://127.0.0.1:{s.port}/infer"
            return self._charge(
                s, lambda: wrkclient.run(url, self.body, self.conc, seconds, self.workdir)
            )
        return self._charge(
            s,
            lambda: (
                {"client": "python"}
                | loadgen.closed_loop(s.port, "/infer", self.body, self.conc, seconds, 1)
            ),
        )

    def open(self, s: Server, rate: float, seconds: float) -> tuple[dict, list[float]]:
        lat: list[float] = []

        def run() -> dict:
            r, raw = loadgen.open_loop(s.port, self.body, rate, seconds)
            lat.extend(raw)
            return r

        return self._charge(s, run), lat


def plot(path: Path, servers: dict[str, dict], open_lat: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    curves = 0
    for i, s in enumerate(servers.values()):
        for j, r in enumerate(s["closed_rounds"]):
            if r.get("curve_ms"):
                q, ms = zip(*r["curve_ms"], strict=True)
                label = s["label"] if j == 0 else None
                left.plot(ms, q, color=f"C{i}", alpha=max(0.3, 0.9 - 0.3 * j), label=label)
                curves += 1
    left.axvline(compare.EDGEINFER_TIMEOUT_MS, color="red", ls="--", lw=0.8, label="45 ms")
    left.set_xlabel("latency (ms)")
    left.set_ylabel("percentile")
    left.set_title("closed loop c=8 (wrk's percentiles, every round)")
    if curves:
        left.legend(fontsize=8)
    else:
        left.text(0.5, 0.5, "no percentile curve (Python client)", ha="center")
    labels = {servers[n]["label"]: v for n, v in open_lat.items()}
    loadgen.hist_panel(right, labels, "open loop 200 windows/s (from the intended send time)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--logs", type=Path, default=ROOT / "build" / "bench-logs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="N for workers=N")
    ap.add_argument("--concurrency", type=int, default=8, help="closed-loop connections")
    ap.add_argument("--seconds", type=float, default=15.0, help="per closed-loop round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate", type=float, default=200.0, help="open-loop windows/s")
    ap.add_argument("--open-seconds", type=float, default=10.0)
    ap.add_argument("--bare-seconds", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1, help="ORT intra-op threads (all servers)")
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    return ap


def _client(a: argparse.Namespace) -> tuple[bool, str]:
    """Whether the closed loop runs wrk, and the client in words."""
    use_wrk = a.client == "wrk" or (a.client == "auto" and wrkclient.available() is not None)
    if use_wrk and wrkclient.available() is None:
        raise SystemExit("--client wrk: wrk is not installed (apt-get install wrk)")
    client = (
        f"wrk -t1 -c{a.concurrency} -d{a.seconds:g}s, {a.rounds} round(s)"
        if use_wrk
        else f"Python closed loop of benchmarks/loadgen.py ({a.concurrency} threads), "
        f"{a.rounds} round(s)"
        + ("" if a.client == "python" else ": wrk not found (apt-get install wrk for the C client)")
    )
    return use_wrk, client


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    a.logs.mkdir(parents=True, exist_ok=True)
    use_wrk, client = _client(a)
    res: dict[str, Any] = {
        "artifact": str(a.artifact),
        "manifest": loadgen.model_of(a.artifact),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_avg_before": os.getloadavg(),
        "client": client,
        "settings": {k: v for k, v in vars(a).items() if k not in ("artifact", "out", "logs")},
    }
    n, note = a.workers, None
    refused = workers_refused(n)
    if refused:
        note = f"server.workers={n} not accepted by this hailo-inference: {refused}"
        print(f"NOTE: {note}\n      measuring workers=1 (today's single process) only", flush=True)
    res["workers_note"] = note
    print(f"closed loop client: {client}", flush=True)

    print("bare backend in-process ...", flush=True)
    callers = sorted({1, n})
    res["bare"] = {
        f"callers_{c}": loadgen.bare(a.artifact, a.threads, c, 1, a.bare_seconds) for c in callers
    }

    body = golden_body(a.artifact)
    servers: list[Server] = []
    out: dict[str, dict] = {}
    open_lat: dict[str, list[float]] = {}
    try:
        for w in [1] if note or n == 1 else [1, n]:
            env = {} if note else {WORKERS_ENV: str(w)}
            log = a.logs / f"daemon-w{w}.ndjson"
            log.unlink(missing_ok=True)
            proc, port = loadgen.start_server(a.artifact, a.threads, log, env)
            servers.append(Server(f"ours_w{w}", f"hailo-inference workers={w}", proc, port, w))
        proc, port = start_peer(a.artifact, a.threads, a.logs / "peer.log")
        servers.append(Server("peer", compare.PEER_LABEL, proc, port, 1))
        run = Runner(body, a.concurrency, use_wrk, a.logs)
        for s in servers:
            out[s.name] = {"label": s.label, "pid": s.proc.pid, "workers": s.workers}
            out[s.name]["closed_rounds"] = []
            print(f"warm-up {s.label} ...", flush=True)
            run.closed(s, 2.0)
        for i in range(a.rounds):
            for s in servers:
                print(f"round {i + 1}: closed loop c={a.concurrency} {s.label} ...", flush=True)
                out[s.name]["closed_rounds"].append(run.closed(s, a.seconds))
        for s in servers:
            out[s.name]["memory"] = procstat.memory(s.proc.pid)
            print(f"open loop {a.rate:g}/s {s.label} ...", flush=True)
            out[s.name]["open"], open_lat[s.name] = run.open(s, a.rate, a.open_seconds)
    finally:
        for s in servers:
            if s.name in out:
                out[s.name]["exit"] = stop(s)
            else:
                stop(s)
    for s in out.values():
        s["closed"] = compare.combine(s["closed_rounds"])
    ours = f"ours_w{n}" if f"ours_w{n}" in out else "ours_w1"
    res["servers"] = out
    res["targets"] = compare.targets(out, res["bare"], ours)
    print()
    print(compare.table(out, res["targets"], client))
    (a.out / "vs_peer.json").write_text(json.dumps(res, indent=2, default=float))
    plot(a.out / "vs_peer_latency.png", out, open_lat)
    print(f"wrote {a.out / 'vs_peer.json'} and {a.out / 'vs_peer_latency.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

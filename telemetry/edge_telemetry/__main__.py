"""edge-telemetry command line.

python -m edge_telemetry select --since 24h --top-k 100 --in DIR --out FILE
python -m edge_telemetry stats --in DIR            # counts, torn/invalid lines, disk use
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from .active_learning import STRATEGIES, SelectParams, parse_since, select, write_ndjson_atomic
from .config import DEFAULT_DIR
from .reader import ReadStats, iter_events
from .rotation import event_files


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m edge_telemetry", description="edge-telemetry")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select", help="write the top-K windows to label as NDJSON")
    s.add_argument("--in", dest="folder", type=Path, default=Path(DEFAULT_DIR))
    s.add_argument("--out", type=Path, required=True, help="NDJSON output (written atomically)")
    s.add_argument("--since", default="24h", help="24h, 90m, 7d or an ISO time (default 24h)")
    s.add_argument("--now", type=float, default=None, help="unix time to count --since from")
    d = SelectParams()
    s.add_argument(
        "--top-k", type=int, default=d.top_k, help="windows to select (labelling budget)"
    )
    s.add_argument("--dedup-cosine", type=float, default=d.dedup_cosine)
    s.add_argument("--w-uncertainty", type=float, default=d.w_uncertainty)
    s.add_argument("--w-entropy", type=float, default=d.w_entropy)
    s.add_argument("--w-novelty", type=float, default=d.w_novelty)
    s.add_argument(
        "--strategy", choices=STRATEGIES, default=d.strategy,
        help="coverage: greedy k-center over the pool (default); score: the K best-scored",
    )  # fmt: skip
    s.add_argument(
        "--pool", type=int, default=d.pool,
        help=f"distinct candidates held (memory ~6 KB each; default {d.pool})",
    )  # fmt: skip
    s.add_argument(
        "--score-mix", type=float, default=d.score_mix,
        help="coverage: weight of the score in the gain (0: pure coverage)",
    )  # fmt: skip
    s.add_argument("--host", default=None, help="host name written in every row (default: this)")
    t = sub.add_parser("stats", help="count events, torn and invalid lines in a folder")
    t.add_argument("--in", dest="folder", type=Path, default=Path(DEFAULT_DIR))
    t.add_argument("--since", default=None)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.folder.is_dir():
        print(
            f"edge-telemetry: {args.folder} is not a folder; point --in at the telemetry folder "
            "(telemetry.dir in the daemon config)",
            file=sys.stderr,
        )
        return 2
    try:
        since = parse_since(args.since, args.now) if args.since else None
    except ValueError as exc:
        print(f"edge-telemetry: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "stats":
        rs = ReadStats()
        n = sum(1 for _ in iter_events(args.folder, since, None, rs))
        size = sum(p.stat().st_size for p in event_files(args.folder))
        out = {"events": n, "files": rs.files, "bytes": size, "torn_lines": rs.torn}
        out["invalid_lines"] = rs.invalid
        print(orjson.dumps(out).decode())
        return 0
    params = SelectParams(
        top_k=args.top_k,
        dedup_cosine=args.dedup_cosine,
        w_uncertainty=args.w_uncertainty,
        w_entropy=args.w_entropy,
        w_novelty=args.w_novelty,
        strategy=args.strategy,
        pool=args.pool,
        score_mix=args.score_mix,
    )
    try:
        params.validate()
    except ValueError as exc:
        print(f"edge-telemetry: {exc}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    rows, stats = select(args.folder, since, params, args.host or socket.gethostname())
    write_ndjson_atomic(args.out, rows)
    summary = stats.as_dict() | {"out": str(args.out), "seconds": round(time.monotonic() - t0, 3)}
    print(orjson.dumps({"event": "selection_written", **summary}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does the active-learning selector beat random picks? (issue 17; REPORT.md next to this file)

    make bench-al      # = .venv/bin/python benchmarks/active_learning/run.py

Per seed: a fleet day (fleet.py) through the real daemon with telemetry sampling on, then the
real selector (edge_telemetry.active_learning.select, the timer's parameters unless ablated)
against uniform random picks from the same sampled windows, at several labelling budgets.
Prints the tables, writes results.json and learning_curve.png under --out.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet
import metrics as M
from edge_models.synthetic import ACTIVITIES
from edge_telemetry.active_learning import WINDOW_MARK, SelectParams, select
from edge_telemetry.reader import ReadStats, iter_events

ROOT = Path(__file__).resolve().parents[2]
RARE = {ACTIVITIES.index(k) for k in fleet.RARE}
N_CLASSES = len(ACTIVITIES)
TIMER = SelectParams()  # what hailo-inference-select.service runs (only --top-k/--since given)
ABLATIONS: dict[str, dict] = {
    "u": {"w_uncertainty": 1.0, "w_entropy": 0.0, "w_novelty": 0.0},
    "e": {"w_uncertainty": 0.0, "w_entropy": 1.0, "w_novelty": 0.0},
    "n": {"w_uncertainty": 0.0, "w_entropy": 0.0, "w_novelty": 1.0},
    "u+e": {"w_uncertainty": 1.0, "w_entropy": 1.0, "w_novelty": 0.0},
    "u+n": {"w_uncertainty": 1.0, "w_entropy": 0.0, "w_novelty": 1.0},
    "e+n": {"w_uncertainty": 0.0, "w_entropy": 1.0, "w_novelty": 1.0},
    "u+e+n": {"w_uncertainty": 1.0, "w_entropy": 1.0, "w_novelty": 1.0},
}


def params_of(weights: dict, dedup: bool, k: int) -> SelectParams:
    return SelectParams(top_k=k, dedup_cosine=TIMER.dedup_cosine if dedup else 1.0, **weights)


def figures(idx: np.ndarray, pool: dict, test: tuple[np.ndarray, np.ndarray]) -> dict:
    y, bouts, z = pool["labels"][idx], pool["bouts"][idx], pool["latents"][idx]
    return {
        "picks": len(idx),
        "enrichment": M.enrichment(y, pool["labels"], RARE),
        "rare_fraction": M.rare_fraction(y, RARE),
        "coverage": M.coverage(y),
        "same_bout": M.same_bout_rate(bouts),
        "cos_dup": M.cosine_dup_rate(z),
        "macro_f1": M.downstream_f1(z, y, test[0], test[1], N_CLASSES),
    }


def read_pool(folder: Path, where: dict, day: fleet.Day) -> dict:
    """Every sampled event (the selector's candidates) with its ground truth."""
    keys, pos, lat = [], [], []
    for ev in iter_events(folder, None, WINDOW_MARK, ReadStats()):
        key = (ev["request_id"], int(ev["index"]))
        keys.append(key)
        pos.append(where[key])
        lat.append(ev["latent"])
    p = np.asarray(pos)
    return {
        "index": {k: i for i, k in enumerate(keys)},
        "labels": day.labels[p],
        "bouts": day.bout[p],
        "latents": np.asarray(lat, dtype=np.float64),
    }


def run_selector(folder: Path, params: SelectParams, pool: dict) -> np.ndarray:
    rows, _ = select(folder, None, params, "bench")
    return np.asarray([pool["index"][(r["request_id"], int(r["index"]))] for r in rows], int)


def one_seed(seed: int, art: Path, args: argparse.Namespace, test: tuple) -> dict:
    work = args.work / f"day{seed}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "telemetry").mkdir(parents=True)
    day = fleet.fleet_day(args.windows, seed)
    with fleet.daemon(art, work / "telemetry", args.sample_rate, work / "daemon.ndjson") as d:
        where = fleet.stream(d, day, f"day{seed}")
    tel = work / "telemetry"
    pool = read_pool(tel, where, day)
    n = len(pool["labels"])
    out: dict = {"seed": seed, "candidates": n, "rare_base": M.rare_fraction(pool["labels"], RARE)}
    rng = np.random.default_rng(10_000 + seed)
    out["random"] = {
        str(k): [figures(rng.choice(n, k, replace=False), pool, test) for _ in range(args.draws)]
        for k in args.budgets
    }
    out["curve"] = {
        name: {
            str(k): figures(run_selector(tel, params_of(w, True, k), pool), pool, test)
            for k in args.budgets
        }
        for name, w in args.curve.items()
    }
    out["ablation"] = {
        f"{name} dedup {'on' if dd else 'off'}": figures(
            run_selector(tel, params_of(w, dd, 100), pool), pool, test
        )
        for name, w in ABLATIONS.items()
        for dd in (True, False)
    }
    shutil.rmtree(work / "telemetry")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--windows", type=int, default=20000, help="windows per fleet day")
    ap.add_argument("--sample-rate", type=float, default=0.25, help="telemetry.sample_rate")
    ap.add_argument("--budgets", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    ap.add_argument("--draws", type=int, default=10, help="random draws per seed and budget")
    ap.add_argument("--steps", type=int, default=200, help="training steps of the artifact")
    ap.add_argument("--work", type=Path, default=ROOT / "build/bench-al")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/active_learning/results")
    args = ap.parse_args(argv)
    args.curve = {"selector (timer defaults)": {
        "w_uncertainty": TIMER.w_uncertainty,
        "w_entropy": TIMER.w_entropy,
        "w_novelty": TIMER.w_novelty,
    }}  # fmt: skip
    t0 = time.monotonic()
    art = fleet.build_artifact(args.work / "artifacts", args.steps)
    print(f"artifact {art} ({time.monotonic() - t0:.0f} s)", flush=True)
    xt, yt = fleet.windows_of({k: 1.0 for k in ACTIVITIES}, 50 * N_CLASSES, seed=424242)
    with fleet.daemon(art, args.work / "test-telemetry", 0.0, args.work / "test.ndjson") as d:
        test = (fleet.latents(d, xt), yt)
    seeds = []
    for s in range(args.seeds):
        seeds.append(one_seed(s, art, args, test))
        print(f"seed {s}: {seeds[-1]['candidates']} candidates ({time.monotonic() - t0:.0f} s)",
              flush=True)  # fmt: skip
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    result = {"params": params, "artifact": str(art), "seeds": seeds,
              "seconds": round(time.monotonic() - t0, 1)}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    import report

    print(report.tables(result))
    report.plot(result, args.out / "learning_curve.png")
    print(f"wrote {args.out / 'results.json'} and learning_curve.png in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

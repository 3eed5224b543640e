"""Does the active-learning selector beat random picks? (issue 17; REPORT.md next to this file)

    make bench-al      # = .venv/bin/python benchmarks/active_learning/run.py

Per seed: a fleet day (fleet.py) through the real daemon with telemetry sampling on, then the
real selector (edge_telemetry.active_learning.select, the timer's parameters unless ablated)
against uniform random picks and random order with de-duplication alone ("dedup-only", at the
issue-17 threshold 0.98 and at the selector's 0.999), from the same sampled windows, at every
budget. Figures: macro-F1 (every behaviour counts the same) and frequency-weighted F1 (each
behaviour weighted by its share of the day) of a classifier trained on the picks. Random and
dedup-only are drawn --draws times per seed; their spreads are over single draws.
Prints the tables, writes results.json and learning_curve.png under --out. A day already
streamed under --work with the same parameters is reused (delete --work to stream again).
"""

from __future__ import annotations

import argparse
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
WEIGHTS = np.array([fleet.DAY_MIX[a] for a in ACTIVITIES])  # frequency-weighted F1
# selector variants run at every budget (name -> SelectParams fields beside top_k)
ARMS: dict[str, dict] = {
    "selector (timer defaults: coverage)": {},
    "coverage + score (score_mix 1)": {"score_mix": 1.0},
    "coverage, u only": {"w_entropy": 0.0, "w_novelty": 0.0},
    "coverage, n only": {"w_uncertainty": 0.0, "w_entropy": 0.0},
    "score, dedup 0.98 (issue 17)": {"strategy": "score", "dedup_cosine": 0.98},
    "score, dedup 0.999": {"strategy": "score"},
    "coverage, dedup off": {"dedup_cosine": 1.0},
}
DEDUP_ONLY = {"dedup-only 0.98 (random order)": 0.98, "dedup-only 0.999 (random order)": 0.999}


def dedup_random(pool: dict, k: int, threshold: float, rng: np.random.Generator) -> np.ndarray:
    """Random order, skipping a window with latent cosine >= threshold to one already taken;
    topped up in the same random order when fewer than k distinct exist (no cap either).
    Prefix-consistent: the first j of a draw are that draw at budget j."""
    if "gram" not in pool:
        z = pool["latents"] / np.linalg.norm(pool["latents"], axis=1, keepdims=True)
        pool["gram"] = (z @ z.T).astype(np.float32)
    order = rng.permutation(len(pool["latents"]))
    blocked = np.zeros(len(order), dtype=bool)
    taken: list[int] = []
    for i in order:
        if len(taken) == k:
            break
        if not blocked[i]:
            taken.append(int(i))
            blocked |= pool["gram"][i] >= threshold
    chosen = set(taken)
    rest = [int(i) for i in order if i not in chosen]
    return np.asarray(taken + rest[: k - len(taken)], dtype=int)


def figures(idx: np.ndarray, pool: dict, test: tuple[np.ndarray, np.ndarray]) -> dict:
    y, bouts, z = pool["labels"][idx], pool["bouts"][idx], pool["latents"][idx]
    macro, weighted = M.downstream_f1s(z, y, test[0], test[1], WEIGHTS)
    return {
        "picks": len(idx),
        "enrichment": M.enrichment(y, pool["labels"], RARE),
        "rare_fraction": M.rare_fraction(y, RARE),
        "coverage": M.coverage(y),
        "same_bout": M.same_bout_rate(bouts),
        "cos_dup": M.cosine_dup_rate(z),
        "macro_f1": macro,
        "weighted_f1": weighted,
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
    tel, day, where = fleet.streamed_day(art, work, args.windows, seed, args.sample_rate)
    pool = read_pool(tel, where, day)
    n = len(pool["labels"])
    out: dict = {"seed": seed, "candidates": n, "rare_base": M.rare_fraction(pool["labels"], RARE)}
    rng = np.random.default_rng(10_000 + seed)
    budgets = [k for k in args.budgets if k <= n]
    out["random"] = {
        str(k): [figures(rng.choice(n, k, replace=False), pool, test) for _ in range(args.draws)]
        for k in budgets
    }
    for name, thr in DEDUP_ONLY.items():
        out[name] = {
            str(k): [
                figures(dedup_random(pool, k, thr, rng), pool, test) for _ in range(args.draws)
            ]
            for k in budgets
        }
    out["arms"] = {
        name: {
            str(k): figures(run_selector(tel, SelectParams(top_k=k, **kw), pool), pool, test)
            for k in budgets
        }
        for name, kw in ARMS.items()
    }
    out["top_k_5000_returned"] = len(run_selector(tel, SelectParams(top_k=5000), pool))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--windows", type=int, default=20000, help="windows per fleet day")
    ap.add_argument("--sample-rate", type=float, default=0.25, help="telemetry.sample_rate")
    ap.add_argument("--budgets", type=int, nargs="+", default=[10, 25, 50, 100, 200, 500])
    ap.add_argument("--draws", type=int, default=10, help="random draws per seed and budget")
    ap.add_argument("--steps", type=int, default=200, help="training steps of the artifact")
    ap.add_argument("--artifact", type=Path, default=None,
                    help="an artifact built by an earlier run (else built)")  # fmt: skip
    ap.add_argument("--work", type=Path, default=ROOT / "build/bench-al")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/active_learning/results")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    art = args.artifact or fleet.build_artifact(args.work / "artifacts", args.steps)
    print(f"artifact {art} ({time.monotonic() - t0:.0f} s)", flush=True)
    xt, yt = fleet.windows_of({k: 1.0 for k in ACTIVITIES}, 50 * N_CLASSES, seed=424242)
    with fleet.daemon(art, args.work / "test-telemetry", 0.0, args.work / "test.ndjson") as d:
        test = (fleet.latents(d, xt), yt)
    seeds = []
    for s in range(args.seeds):
        seeds.append(one_seed(s, art, args, test))
        print(f"seed {s}: {seeds[-1]['candidates']} candidates, top_k 5000 returned "
              f"{seeds[-1]['top_k_5000_returned']} ({time.monotonic() - t0:.0f} s)",
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

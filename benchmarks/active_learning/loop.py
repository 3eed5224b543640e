"""One active-learning loop end to end on the synthetic fleet (issue 29 item 4; REPORT.md here).

    make loop          # = .venv/bin/python benchmarks/active_learning/loop.py
    make loop-deploy   # the same, then the selector's artifact to one lab host via site.yml

Per seed (a fleet day with hidden rare behaviours: shake and turn never seen at build time):
1. the day's traffic through the daemon serving the base artifact, telemetry sampled (fleet.py);
2. selection: edge_telemetry select with the timer's defaults, top_k = --budget;
   the random arm: --budget uniform picks among the same sampled windows;
3. labels: the picks as a Label Studio import file (edge_telemetry.label_studio), a labeller
   standing in as the generator's ground truth writes a Label Studio JSON export, which
   edge_telemetry.labelled turns into the hashed labelled-windows dataset;
4. retrain: the default trainer (edge_models.train) fine-tunes the base encoder on the dataset
   mixed into every batch (--steps steps), and the compiler builds a new artifact (parity gate,
   motifs refit, manifest training.dataset_sha256);
5. measure: a downstream classifier (logistic regression, benchmarks/active_learning/metrics.py)
   trained on a small fixed labelled probe set (--probe per behaviour) and tested on a balanced
   held-out set, both through the daemon serving each artifact: macro-F1, frequency-weighted F1,
   mean F1 of the rare behaviours.
Arms: base (no loop); control (the same fine-tune without labels: what extra training alone
does); random picks; the selector. Writes results/loop.json and results/loop.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import orjson
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet
import metrics as M
from edge_models.synthetic import ACTIVITIES
from edge_telemetry.active_learning import SelectParams, select, write_ndjson_atomic

ROOT = Path(__file__).resolve().parents[2]
RARE = [ACTIVITIES.index(k) for k in fleet.RARE]
WEIGHTS = np.array([fleet.DAY_MIX[a] for a in ACTIVITIES])
ARMS = ("base (no loop)", "control (fine-tune, no labels)", "random picks", "selector")


PHASES: dict[str, float] = {}  # wall seconds per phase of this run (printed, in loop.json)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    t = time.monotonic()
    try:
        yield
    finally:
        PHASES[name] = PHASES.get(name, 0.0) + time.monotonic() - t


def timed(name: str) -> Callable[[Callable], Callable]:
    """Wraps a recipe's make so its training time counts under `name`."""

    def wrap(make: Callable) -> Callable:
        def run(cfg: object) -> object:
            with phase(name):
                return make(cfg)

        return run

    return wrap


def weights_sha256(state: dict) -> str:
    """The compiler's sha256 of a state_dict (what a manifest records as weights_sha256)."""
    from edge_compiler.versioning import state_dict_sha256

    return state_dict_sha256(SimpleNamespace(state_dict=lambda: state))  # type: ignore[arg-type]


def base_state(art: Path, steps: int, work: Path) -> dict:
    """The base artifact's encoder weights, checked against its manifest's weights_sha256: the
    state_dict its build kept (fleet.weights_file), else one cached by an earlier run, else
    (an artifact built without them) its deterministic recipe retrained once and cached."""
    import torch
    from edge_models.config import load_export_config
    from edge_models.train import train_default

    want = json.loads((art / "manifest.json").read_text())["source"]["weights_sha256"]
    cache = work / f"base-{want[:16]}.pt"
    for f in (fleet.weights_file(art), cache):
        if f.exists():
            state = torch.load(f, weights_only=True)
            if (got := weights_sha256(state)) != want:
                raise RuntimeError(f"{f} holds weights with sha256 {got}, but {art}/manifest.json "
                                   f"says {want}: delete {f} and rerun")  # fmt: skip
            return state
    with (
        phase("base: retrain (artifact built without its weights)"),
        fleet.mock.patch("edge_models.train.generate", fleet.calibration_generate),
    ):
        enc, _ = train_default(load_export_config(), seed=0, steps=steps, progress=True)
    state = enc.state_dict()
    if weights_sha256(state) != want:
        raise RuntimeError(f"retrained base weights differ from {art}'s; delete {work} and rerun")
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, cache)
    return state


def base_artifact(base: Path | None, days: Path, steps: int, work: Path) -> tuple[Path, dict]:
    """The base artifact (`base`, else built under days/artifacts) and its encoder weights:
    trained once, by the build."""
    with phase("base: build (training included)"):
        art = base or fleet.build_artifact(days / "artifacts", steps, wrap=timed("base: training"))
    with phase("base: weights"):
        return art, base_state(art, steps, work)


def finetuned(init: dict, dataset: Path | None, steps: int, lr: float, out_root: Path) -> Path:
    """Fine-tune the encoder from `init` (with the labelled dataset when given); build it."""
    from edge_compiler.build import Weights
    from edge_compiler.versioning import state_dict_sha256
    from edge_models.labelled import load_labelled
    from edge_models.train import DEFAULT_RECIPE, train_default

    params = {**DEFAULT_RECIPE, "steps": steps, "lr": lr}
    init_sha = _state_sha(init)
    inputs: dict = {"name": "loop-finetune", "seed": 0, "init_weights_sha256": init_sha, **params}
    data = None
    if dataset is not None:
        data = load_labelled(dataset)
        inputs["labelled"] = {"dataset_sha256": data.sha256, "windows": len(data.y),
                              "per_batch": 8}  # fmt: skip

    def make(cfg: object) -> Weights:
        extra = {} if data is None else {"labelled": data, "labelled_per_batch": 8}
        with phase("fine-tune: training"):
            model, stats = train_default(cfg, seed=0, progress=False, init_state=init, **params,
                                         **extra)  # type: ignore[arg-type]  # fmt: skip
        return Weights(model, "synthetic-finetune", {**inputs, "final": stats},
                       state_dict_sha256(model))  # fmt: skip

    with phase("fine-tune: build (training included)"):
        return fleet.build_with(inputs, make, out_root)


def _state_sha(state: dict) -> str:
    import hashlib

    h = hashlib.sha256()
    for k in sorted(state):
        h.update(k.encode())
        h.update(state[k].detach().cpu().numpy().tobytes())
    return h.hexdigest()


def label_studio_export(tasks_file: Path, truth: dict[tuple[str, int], str], out: Path) -> None:
    """The labeller: every task of the import file answered with the ground truth, written as
    Label Studio's JSON export (tasks with annotations, https://labelstud.io/guide/export)."""
    tasks = orjson.loads(tasks_file.read_bytes())
    items = []
    for i, t in enumerate(tasks, start=1):
        label = truth[(t["data"]["request_id"], int(t["data"]["index"]))]
        result = [{"id": f"r{i}", "from_name": "behaviour", "to_name": "ts", "type": "choices",
                   "origin": "manual", "value": {"choices": [label]}}]  # fmt: skip
        ann = {"id": 1000 + i, "completed_by": 1, "was_cancelled": False, "result": result,
               "created_at": "2027-01-16T09:00:00.000000Z",
               "updated_at": "2027-01-16T09:00:00.000000Z"}  # fmt: skip
        items.append({"id": i, "data": t["data"], "meta": t.get("meta", {}),
                      "annotations": [ann], "predictions": t.get("predictions", [])})  # fmt: skip
    out.write_bytes(orjson.dumps(items))


def labelled_dataset(rows: list[dict], truth: dict, work: Path) -> Path:
    """Selection rows -> import file -> labeller's export -> hashed dataset folder."""
    from edge_telemetry.label_studio import write_tasks
    from edge_telemetry.labelled import build_dataset, labelled_from_exports, write_dataset

    work.mkdir(parents=True, exist_ok=True)
    sel = work / "selection.ndjson"
    write_ndjson_atomic(sel, rows)
    write_tasks([sel], work / "tasks.json")
    label_studio_export(work / "tasks.json", truth, work / "export.json")
    found = labelled_from_exports([work / "export.json"], selections=[sel])
    manifest = write_dataset(build_dataset(found), work / "dataset")
    assert manifest["windows"] == len(rows), (manifest["windows"], len(rows))
    return work / "dataset"


def evaluate(art: Path, probe: tuple, test: tuple, work: Path) -> dict:
    """Downstream classifier trained on the probe's latents, tested on the test set's."""
    work.mkdir(parents=True, exist_ok=True)
    with (
        phase("evaluate"),
        fleet.daemon(art, work / "eval-telemetry", 0.0, work / "eval.ndjson") as d,
    ):
        zp, zt = fleet.latents(d, probe[0]), fleet.latents(d, test[0])
    pred = M.predict_logistic(M.fit_logistic(zp, probe[1], len(ACTIVITIES)), zt)
    f1 = M.f1_per_class(test[1], pred, len(ACTIVITIES))
    return {
        "macro_f1": float(f1.mean()),
        "weighted_f1": M.weighted_f1(test[1], pred, WEIGHTS),
        "rare_f1": float(f1[RARE].mean()),
        "f1": {a: round(float(v), 4) for a, v in zip(ACTIVITIES, f1)},
        "artifact": str(art),
    }


def picks_of(tel: Path, budget: int, rng: np.random.Generator | None) -> list[dict]:
    """The selector's rows, or (rng given) `budget` uniform picks among the same candidates
    (each as a selection row: the same import path)."""
    if rng is None:
        return select(tel, None, SelectParams(top_k=budget), "lab-fleet")[0]
    everything = SelectParams(top_k=100_000, dedup_cosine=1.0, strategy="score", pool=100_000)
    every = sorted(select(tel, None, everything, "lab-fleet")[0], key=lambda r: r["ts"])
    idx = np.sort(rng.choice(len(every), budget, replace=False))
    return [every[i] | {"rank": r} for r, i in enumerate(idx, start=1)]


def one_seed(seed: int, args: argparse.Namespace, ctx: dict, bar: tqdm) -> dict:
    work = args.work / f"loop{seed}"
    bar.set_postfix_str(f"seed {seed}: day through the daemon")
    with phase("day through the daemon"):
        tel, day, where = fleet.streamed_day(
            ctx["base"], args.days / f"day{seed}", args.windows, seed, args.sample_rate
        )
    truth = {k: ACTIVITIES[int(day.labels[i])] for k, i in where.items()}
    out: dict = {"seed": seed, "picks": {}}
    for arm, rng in (("selector", None), ("random picks", np.random.default_rng(50 + seed))):
        bar.set_postfix_str(f"seed {seed}: {arm}: select + label")
        with phase("select + label"):
            rows = picks_of(tel, args.budget, rng)
            labels = [truth[(r["request_id"], int(r["index"]))] for r in rows]
            out["picks"][arm] = {a: labels.count(a) for a in ACTIVITIES}
            ds = labelled_dataset(rows, truth, work / arm.split()[0])
        bar.update(1)
        bar.set_postfix_str(f"seed {seed}: {arm}: fine-tune + build")
        art = finetuned(ctx["init"], ds, args.steps, args.lr, args.work / "artifacts")
        bar.update(1)
        bar.set_postfix_str(f"seed {seed}: {arm}: evaluate")
        out[arm] = evaluate(art, ctx["probe"], ctx["test"], work / arm.split()[0])
        out[arm]["dataset_sha256"] = json.loads((ds / "dataset.json").read_text())["sha256"]
        bar.update(1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=100, help="labels per day (the timer's top_k)")
    ap.add_argument("--windows", type=int, default=20000, help="windows per fleet day")
    ap.add_argument("--sample-rate", type=float, default=0.25)
    ap.add_argument("--base-steps", type=int, default=200, help="training steps of the base")
    ap.add_argument("--steps", type=int, default=40, help="fine-tune steps")
    ap.add_argument("--lr", type=float, default=1e-3, help="fine-tune learning rate")
    ap.add_argument("--probe", type=int, default=5, help="downstream training windows/behaviour")
    ap.add_argument("--base", type=Path, default=None,
                    help="base artifact of an earlier run (else built)")  # fmt: skip
    ap.add_argument("--work", type=Path, default=ROOT / "build/loop")
    ap.add_argument("--days", type=Path, default=ROOT / "build/bench-al", help="days cache")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/active_learning/results")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    n_steps = 3 + 6 * args.seeds
    with tqdm(total=n_steps, desc="loop", unit="step") as bar:
        bar.set_postfix_str("base artifact")
        base, init = base_artifact(args.base, args.days, args.base_steps, args.work)
        bar.update(1)
        n = len(ACTIVITIES)
        probe = fleet.windows_of({k: 1.0 for k in ACTIVITIES}, args.probe * n, seed=777)
        test = fleet.windows_of({k: 1.0 for k in ACTIVITIES}, 50 * n, seed=424242)
        ctx = {"base": base, "init": init, "probe": probe, "test": test}
        bar.set_postfix_str("base: evaluate")
        result: dict = {"base (no loop)": evaluate(base, probe, test, args.work / "base")}
        bar.update(1)
        bar.set_postfix_str("control: fine-tune without labels + build")
        ctrl = finetuned(init, None, args.steps, args.lr, args.work / "artifacts")
        result["control (fine-tune, no labels)"] = evaluate(ctrl, probe, test, args.work / "ctrl")
        bar.update(1)
        result["seeds"] = [one_seed(s, args, ctx, bar) for s in range(args.seeds)]
    result["params"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    result["seconds"] = round(time.monotonic() - t0, 1)
    result["phases"] = {k: round(v, 1) for k, v in PHASES.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loop.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    import loop_report

    print(loop_report.table(result))
    loop_report.plot(result, args.out / "loop.png")
    print("wall seconds per phase (training is also counted in its build):")
    for k, v in result["phases"].items():
        print(f"  {k:<45} {v:8.1f}")
    print(f"wrote {args.out / 'loop.json'} and loop.png in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

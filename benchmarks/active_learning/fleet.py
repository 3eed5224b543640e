"""The benchmark's world: ground-truth behaviours, the artifact, and a fleet day through the daemon.

- Behaviours come from the synthetic IMU generator (edge_models.synthetic.ACTIVITIES).
- The artifact is built with the compiler's recipe API (`recipes.default`, a small step budget)
  while the generator used for training and calibration (so for the motif prototypes) is one
  where `shake` and `turn` are missing and `jump` is rare (CALIBRATION_MIX).
- A fleet day is a sequence of bouts (the same dog lying still for minutes): each bout is one
  parent window repeated with fresh sensor noise, rare behaviours at 1-3 % of the windows.
- The day is streamed through the real daemon code path in-process: `hailo_inference.server.
  Daemon` (config, ModelService on the onnx backend, Flask app, the daemon's `Telemetry` ->
  edge_telemetry sink -> NDJSON files), requests made with Flask's test client instead of a
  socket (`POST /infer/batch` with an X-Request-ID).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import orjson
from edge_models.synthetic import ACTIVITIES, generate

RARE = ("shake", "jump", "turn")
# fraction of windows per behaviour; shake/turn never seen at build time, jump rarely
CALIBRATION_MIX = {"still": 0.2, "lie": 0.2, "walk": 0.2, "trot": 0.19, "run": 0.19, "jump": 0.02}
DAY_MIX = {
    "lie": 0.32,
    "still": 0.25,
    "walk": 0.20,
    "trot": 0.10,
    "run": 0.06,
    "shake": 0.02,
    "jump": 0.03,
    "turn": 0.02,
}
MEAN_BOUT = {  # windows (1 s each) per bout: long rests, short bursts
    "lie": 120,
    "still": 60,
    "walk": 30,
    "trot": 20,
    "run": 10,
    "shake": 3,
    "jump": 2,
    "turn": 5,
}
NOISE = np.array([0.05] * 3 + [0.005] * 3 + [0.5] * 3, np.float32)  # per-sample sensor noise


def windows_of(mix: dict[str, float], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n independent windows whose behaviours follow `mix` (fractions), and their labels."""
    rng = np.random.default_rng(seed)
    names = list(mix)
    want = rng.choice(len(names), n, p=np.array([mix[k] for k in names]) / sum(mix.values()))
    return _by_label([ACTIVITIES.index(names[i]) for i in want], seed + 1)


def _by_label(labels: list[int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One fresh generator window per requested label, in order."""
    need = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(ACTIVITIES))
    pools: dict[int, list[np.ndarray]] = {k: [] for k in range(len(ACTIVITIES))}
    s = seed
    while any(len(pools[k]) < need[k] for k in pools):
        x, y = generate(max(256, 10 * int(need.max())), s)
        for k in pools:
            pools[k].extend(x[y == k][: max(0, need[k] - len(pools[k]))])
        s += 7919
    out = np.stack([pools[k].pop() for k in labels]).astype(np.float32)
    return out, np.asarray(labels, dtype=np.int64)


def calibration_generate(
    n: int, seed: int, window: int = 100, rate_hz: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Drop-in for edge_models.synthetic.generate with CALIBRATION_MIX behaviours."""
    assert (window, rate_hz) == (100, 100), "the benchmark uses the export config's 100 x 100 Hz"
    return windows_of(CALIBRATION_MIX, n, seed)


def build_artifact(
    out_root: Path, steps: int, seed: int = 0, wrap: Callable[[Callable], Callable] | None = None
) -> Path:
    """Train (recipes.default, `steps` steps) and build an artifact whose training data and
    calibration windows (motif prototypes) follow CALIBRATION_MIX; cached by content. The
    trained encoder's state_dict is kept beside it (weights_file) so nobody trains it again;
    `wrap` wraps the recipe's make (a timer)."""
    from edge_compiler import recipes

    inputs, make = recipes.default(seed=seed, steps=steps, progress=False)
    return build_with(inputs, make if wrap is None else wrap(make), out_root, keep_weights=True)


def weights_file(art: Path) -> Path:
    """Where build_with(keep_weights=True) keeps the state_dict of the artifact at `art`
    (beside the artifact folder: its files are fixed by the manifest)."""
    return art.parent / f"{art.name}.weights.pt"


def build_with(inputs: dict, make: Callable, out_root: Path, keep_weights: bool = False) -> Path:
    """compiler build of a recipe (inputs, make) with CALIBRATION_MIX as the generator of the
    training and calibration windows; cached by content (the inputs address the version).
    keep_weights: when it builds, it saves the exported model's state_dict to weights_file()
    (the weights whose sha256 the manifest records as source.weights_sha256)."""
    import torch
    from edge_compiler import build as build_mod

    torch.set_num_threads(2)
    inputs = {**inputs, "bench_al_calibration_mix": CALIBRATION_MIX}  # own version address
    made: list = []

    def keep(cfg: object) -> object:
        made.append(make(cfg))
        return made[-1]

    with (
        mock.patch("edge_models.train.generate", calibration_generate),
        mock.patch.object(build_mod, "generate", calibration_generate),
    ):
        res = build_mod.build_artifact(inputs, keep, out_root, log=lambda _m: None)  # type: ignore[arg-type]
    if keep_weights and made:
        tmp = weights_file(res.path).with_suffix(".tmp")
        torch.save(made[-1].model.state_dict(), tmp)
        tmp.rename(weights_file(res.path))
    return res.path


def streamed_day(
    art: Path, work: Path, windows: int, seed: int, sample_rate: float
) -> tuple[Path, Day, dict[tuple[str, int], int]]:
    """The day `seed` streamed through the daemon serving `art` into work/telemetry; a day
    already streamed there with the same parameters is reused -> (folder, day, where)."""
    import shutil

    tel = work / "telemetry"
    day = fleet_day(windows, seed)
    stamp = orjson.dumps({"artifact": str(art), "windows": windows, "seed": seed,
                          "sample_rate": sample_rate})  # fmt: skip
    if (work / "streamed.json").exists() and (work / "streamed.json").read_bytes() == stamp:
        return tel, day, where_of(day, f"day{seed}")
    shutil.rmtree(work, ignore_errors=True)
    tel.mkdir(parents=True)
    with daemon(art, tel, sample_rate, work / "daemon.ndjson") as d:
        where = stream(d, day, f"day{seed}")
    (work / "streamed.json").write_bytes(stamp)
    return tel, day, where


@dataclass
class Day:
    x: np.ndarray  # (N, 100, 9) raw windows in time order
    labels: np.ndarray  # (N,) behaviour index
    bout: np.ndarray  # (N,) bout id: same id = repeats of one parent window


def fleet_day(n: int, seed: int) -> Day:
    """About n windows of bouts; behaviours' window fractions follow DAY_MIX."""
    rng = np.random.default_rng(seed)
    names = list(DAY_MIX)
    start_p = np.array([DAY_MIX[k] / MEAN_BOUT[k] for k in names])
    start_p /= start_p.sum()
    kinds, lengths, total = [], [], 0
    while total < n:
        k = int(rng.choice(len(names), p=start_p))
        length = int(rng.geometric(1.0 / MEAN_BOUT[names[k]]))
        kinds.append(ACTIVITIES.index(names[k]))
        lengths.append(length)
        total += length
    parents, _ = _by_label(kinds, seed * 1009 + 17)
    reps = np.repeat(np.arange(len(kinds)), lengths)[:n]
    x = parents[reps] + rng.normal(0.0, 1.0, (reps.size, 100, 9)).astype(np.float32) * NOISE
    return Day(x.astype(np.float32), np.asarray(kinds)[reps], reps)


@contextlib.contextmanager
def daemon(artifact: Path, telemetry_dir: Path, sample_rate: float, log_file: Path) -> Iterator:
    """The real daemon objects (server.Daemon), loaded; telemetry flushed and closed on exit."""
    from hailo_inference.config import build_config
    from hailo_inference.server import Daemon

    cfg = build_config(
        {
            "model": {"artifact": str(artifact), "backend": "onnx"},
            "server": {"request_timeout_s": 30.0},  # a shared CPU must not turn a batch into a 504
            "logging": {"file": str(log_file), "level": "warning"},
            "telemetry": {
                "enabled": True,
                "dir": str(telemetry_dir),
                "sample_rate": sample_rate,
                "queue_size": 65536,
            },
        },
        env={},
    )
    d = Daemon(cfg)
    d.service.start()
    try:
        yield d
    finally:
        if d.state.telemetry is not None:
            d.state.telemetry.close()


def stream(d: object, day: Day, prefix: str, batch: int = 50) -> dict[tuple[str, int], int]:
    """POST the day through /infer/batch; returns (request_id, index) -> window position."""
    client = d.app.test_client()  # type: ignore[attr-defined]
    where: dict[tuple[str, int], int] = {}
    for b, i in enumerate(range(0, len(day.x), batch)):
        rid = f"{prefix}-{b:06d}"
        body = orjson.dumps({"x": day.x[i : i + batch]}, option=orjson.OPT_SERIALIZE_NUMPY)
        r = client.post(
            "/infer/batch",
            data=body,
            headers={"X-Request-ID": rid, "Content-Type": "application/json"},
        )
        if r.status_code != 200:
            raise RuntimeError(f"daemon answered {r.status_code}: {r.get_data(as_text=True)}")
        for j in range(min(batch, len(day.x) - i)):
            where[(rid, j)] = i + j
    return where


def where_of(day: Day, prefix: str, batch: int = 50) -> dict[tuple[str, int], int]:
    """The (request_id, index) -> window position map `stream` returns, without streaming."""
    return {
        (f"{prefix}-{b:06d}", j): i + j
        for b, i in enumerate(range(0, len(day.x), batch))
        for j in range(min(batch, len(day.x) - i))
    }


def latents(d: object, x: np.ndarray) -> np.ndarray:
    """Latents of x through the daemon's ModelService (the labelled test set)."""
    out = [d.service.infer(x[i : i + 64], 30.0)[0] for i in range(0, len(x), 64)]  # type: ignore[attr-defined]
    return np.concatenate(out).astype(np.float64)

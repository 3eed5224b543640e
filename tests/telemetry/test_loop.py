"""The active-learning loop's pieces (benchmarks/active_learning/loop.py), small and fast: the
labeller's Label Studio export round-trips into the hashed dataset with the ground truth, random
picks come from the same candidates as selection rows, dedup-only never caps, and the loop's
table computes its margins from the figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from edge_models.labelled import load_labelled
from edge_models.synthetic import ACTIVITIES

from .synth import D, make_event, protos, record, write_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "active_learning"))
loop = pytest.importorskip("loop")
loop_report = pytest.importorskip("loop_report")
run = pytest.importorskip("run")

T0 = 1_800_000_000.0


def day_folder(tmp_path: Path, n: int = 40) -> tuple[Path, dict]:
    p = protos()
    rng = np.random.default_rng(0)
    recs = [record(make_event(i, rng.normal(size=D), p, T0 + i), p) for i in range(n)]
    write_file(tmp_path / "tel", T0, recs)
    truth = {(r["request_id"], 0): ACTIVITIES[i % len(ACTIVITIES)] for i, r in enumerate(recs)}
    return tmp_path / "tel", truth


def test_labeller_export_becomes_the_dataset_with_the_ground_truth(tmp_path):
    tel, truth = day_folder(tmp_path)
    rows = loop.picks_of(tel, 12, None)
    ds = loop.labelled_dataset(rows, truth, tmp_path / "sel")
    data = load_labelled(ds)
    want = [ACTIVITIES.index(truth[(r["request_id"], 0)]) for r in rows]
    meta = json.loads((ds / "dataset.json").read_text())
    assert len(data.y) == 12 and sorted(data.y.tolist()) == sorted(want)
    assert data.sha256 == meta["sha256"]
    export = json.loads((tmp_path / "sel" / "export.json").read_text())
    assert all(len(t["annotations"]) == 1 and t["predictions"] for t in export)


def test_random_picks_are_distinct_candidates_as_selection_rows(tmp_path):
    tel, _ = day_folder(tmp_path)
    a = loop.picks_of(tel, 15, np.random.default_rng(1))
    b = loop.picks_of(tel, 15, np.random.default_rng(2))
    keys = [r["request_id"] for r in a]
    assert len(set(keys)) == 15 and keys != [r["request_id"] for r in b]
    assert [r["rank"] for r in a] == list(range(1, 16)) and np.asarray(a[0]["window"]).ndim == 2


def test_dedup_only_baseline_has_no_cap():
    rng = np.random.default_rng(0)
    base = rng.normal(size=8)
    z = np.vstack([base + rng.normal(size=8) * 1e-4 for _ in range(30)])  # all near duplicates
    pool = {"latents": z}
    idx = run.dedup_random(pool, 10, 0.98, np.random.default_rng(0))
    assert len(idx) == 10 and len(set(idx.tolist())) == 10  # topped up, not capped at 1


def test_loop_table_margins_come_from_the_figures():
    fig = lambda m: {"macro_f1": m, "weighted_f1": m, "rare_f1": m}  # noqa: E731
    picks = {a: 1 for a in ACTIVITIES}
    result = {
        "base (no loop)": fig(0.5),
        "control (fine-tune, no labels)": fig(0.55),
        "seeds": [
            {"selector": fig(0.8), "random picks": fig(0.6), "picks": {"selector": picks,
                                                                         "random picks": picks}},
            {"selector": fig(0.7), "random picks": fig(0.75), "picks": {"selector": picks,
                                                                          "random picks": picks}},
        ],
        "params": {"budget": 10},
    }  # fmt: skip
    text = loop_report.table(result)
    assert "| base (no loop) | +0.250 (2/2) |" in text
    assert "| random picks | +0.075 (1/2) |" in text

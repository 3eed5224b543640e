"""The default trainer takes a labelled-windows dataset (docs/telemetry.md) made from real Label
Studio exports: hash checked, labels mapped to the generator's activities (`other` left out and
counted), the windows in every batch, and the dataset's sha256 in the recipe inputs (so the
artifact version) and in the manifest as training.dataset_sha256."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from edge_models.config import load_export_config
from edge_models.labelled import DatasetError, load_labelled
from edge_models.synthetic import ACTIVITIES
from edge_models.train import train_default
from edge_telemetry import labelled as tl

EXPORTS = Path(__file__).resolve().parents[1] / "telemetry" / "label_studio_exports"


@pytest.fixture
def dataset(tmp_path) -> Path:
    found = tl.labelled_from_exports([EXPORTS / "export_json.json"])
    out = tmp_path / "ds"
    tl.write_dataset(tl.build_dataset(found), out)
    return out


def test_the_dataset_loads_with_its_hash_and_labels(dataset):
    data = load_labelled(dataset, window=100)
    manifest = json.loads((dataset / "dataset.json").read_text())
    assert data.sha256 == manifest["sha256"]
    assert data.x.shape == (3, 100, 9) and data.x.dtype == np.float32
    assert [ACTIVITIES[i] for i in data.y] == ["walk", "shake", "jump"]
    assert data.left_out == {}


def test_other_is_left_out_and_counted_and_tampering_refused(tmp_path):
    tasks = json.loads((EXPORTS / "export_json.json").read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["other"]
    (tmp_path / "e.json").write_text(json.dumps(tasks))
    out = tmp_path / "ds"
    tl.write_dataset(tl.build_dataset(tl.labelled_from_exports([tmp_path / "e.json"])), out)
    data = load_labelled(out)
    assert data.left_out == {"other": 1} and len(data.y) == 2
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    rows = (bad / "windows.ndjson").read_bytes()
    (bad / "windows.ndjson").write_bytes(rows.replace(b'"shake"', b'"jump"'))
    with pytest.raises(DatasetError, match="sha256"):
        load_labelled(bad)
    with pytest.raises(DatasetError, match=r"want \(50, 9\)"):
        load_labelled(out, window=50)


def _weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_training_uses_the_labelled_windows_and_their_labels(dataset):
    cfg = load_export_config()
    kw = {"steps": 3, "batch": 8, "train_windows": 64, "progress": False}
    data = load_labelled(dataset, window=cfg.window)
    with_l, stats = train_default(cfg, seed=0, labelled=data, **kw)
    assert stats["labelled_windows"] == 3 and 0.0 <= stats["labelled_train_accuracy"] <= 1.0
    # the same windows with other labels: same random stream, so only the labels differ
    relabelled = dataclasses.replace(data, y=(data.y + 1) % len(ACTIVITIES))
    other, _ = train_default(cfg, seed=0, labelled=relabelled, **kw)
    assert not torch.equal(_weights(with_l), _weights(other))  # the labels reached the encoder


def test_the_dataset_hash_reaches_the_version_and_the_manifest(dataset, tmp_path):
    from edge_artifact import load_artifact
    from edge_compiler import recipes
    from edge_compiler.build import build_artifact, planned_version

    torch.set_num_threads(2)
    sha = json.loads((dataset / "dataset.json").read_text())["sha256"]
    inputs, make = recipes.default(seed=0, steps=2, progress=False, labelled=dataset)
    plain, _ = recipes.default(seed=0, steps=2, progress=False)
    assert inputs["labelled"]["dataset_sha256"] == sha
    cfg = load_export_config()
    assert planned_version(inputs, cfg)[0] != planned_version(plain, cfg)[0]
    res = build_artifact(inputs, make, tmp_path / "artifacts", log=lambda _m: None)
    art = load_artifact(res.path, verify=True)
    assert art.manifest["training"] == {"dataset_sha256": sha}
    assert art.manifest["recipe"]["final"]["labelled_windows"] == 3
    with pytest.raises(ValueError, match="default recipe"):
        recipes.for_source("untrained", None, 0, labelled=dataset)

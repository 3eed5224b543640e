"""`make loop` (benchmarks/active_learning/loop.py) trains its base encoder once: the base build
keeps the weights it exported (fleet.weights_file), the loop fine-tunes from those, and it uses
them only when their sha256 is the one the artifact's manifest records (source.weights_sha256).

The trainer is a spy standing in for edge_models.train.train_default: it counts its calls and
returns different weights at each call (as a trainer whose result drifted would), so a second
training cannot pass the manifest check by accident. The compiler build around it is real."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from edge_models.config import load_export_config
from edge_models.tcn import seeded_encoder

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "active_learning"))
loop = pytest.importorskip("loop")
fleet = pytest.importorskip("fleet")


class SpyTrainer:
    """edge_models.train.train_default's signature; weights differ at every call."""

    def __init__(self) -> None:
        self.models: list[torch.nn.Module] = []

    def __call__(self, cfg: object, seed: int = 0, **_kw: object) -> tuple:
        model = seeded_encoder(cfg, seed + 100 * (len(self.models) + 1))  # type: ignore[arg-type]
        self.models.append(model)
        return model, {"loss": 0.0}


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyTrainer:
    s = SpyTrainer()
    monkeypatch.setattr("edge_models.train.train_default", s)
    return s


def manifest_sha(art: Path) -> str:
    return json.loads((art / "manifest.json").read_text())["source"]["weights_sha256"]


def test_cold_loop_trains_the_base_once_and_fine_tunes_from_the_manifests_weights(tmp_path, spy):
    art, state = loop.base_artifact(None, tmp_path / "days", 3, tmp_path / "work")
    assert len(spy.models) == 1, f"the base was trained {len(spy.models)} times"
    assert loop.weights_sha256(state) == manifest_sha(art)
    trained = spy.models[0].state_dict()
    assert state.keys() == trained.keys()
    assert all(torch.equal(state[k], trained[k]) for k in state)
    # a second run reuses the artifact and its kept weights: no training at all
    art2, state2 = loop.base_artifact(None, tmp_path / "days", 3, tmp_path / "work")
    assert art2 == art and len(spy.models) == 1
    assert loop.weights_sha256(state2) == manifest_sha(art)


@pytest.mark.parametrize("where", ["kept", "cache"])
def test_weights_other_than_the_manifests_are_refused(tmp_path, spy, where):
    art, _ = loop.base_artifact(None, tmp_path / "days", 3, tmp_path / "work")
    other = seeded_encoder(load_export_config(), 7)
    target = fleet.weights_file(art)
    if where == "cache":  # an earlier run's cache (build/loop/base-*.pt), the artifact's gone
        target.unlink()
        target = tmp_path / "work" / f"base-{manifest_sha(art)[:16]}.pt"
        target.parent.mkdir(parents=True)
    torch.save(other.state_dict(), target)
    with pytest.raises(RuntimeError, match=r"manifest\.json says"):
        loop.base_state(art, 3, tmp_path / "work")


def test_an_artifact_without_its_weights_is_retrained_once_and_checked(tmp_path, spy):
    art, _ = loop.base_artifact(None, tmp_path / "days", 3, tmp_path / "work")
    fleet.weights_file(art).unlink()  # e.g. --base built elsewhere
    with pytest.raises(RuntimeError, match="retrained base weights differ"):
        loop.base_state(art, 3, tmp_path / "work")
    assert len(spy.models) == 2

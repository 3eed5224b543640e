"""The manifest's typed sections: one constructor writes schema 1 exactly as docs/artifact.md shows
it, and every section read back from a built artifact writes the same JSON again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from edge_artifact import ArtifactError, Manifest
from edge_artifact.sections import (
    AcceleratorGraph,
    InputSpec,
    Motifs,
    Normalization,
    OnnxBackend,
    Source,
    new_manifest,
)
from edge_models.config import load_export_config

SECTIONS = {"input_spec": "input", "normalization": "normalization", "motifs": "motifs",
            "accelerator_graph": "accelerator_graph", "source": "source"}  # fmt: skip


def test_every_section_of_a_built_manifest_round_trips(tiny_artifact: Path) -> None:
    raw = json.loads((tiny_artifact / "manifest.json").read_text())
    m = Manifest.read(tiny_artifact)
    # against the export config the build read (not the sections' own code)
    cfg = load_export_config(tiny_artifact / "export_config.yaml")
    assert (raw["input"]["window"], raw["input"]["channels"], raw["input"]["units"]) == (
        cfg.window, list(cfg.channels), list(cfg.units))  # fmt: skip
    assert raw["normalization"] == {"mean": list(cfg.mean), "std": list(cfg.std)}
    assert raw["accelerator_graph"]["opset"] == cfg.opset
    assert len(raw["motifs"]["prototypes"]) == raw["motifs"]["count"] == cfg.motif_count
    for attr, key in SECTIONS.items():
        assert getattr(m, attr).as_dict() == raw[key], key
    assert m.onnx_backend.as_dict() == raw["backends"]["onnx"]


def test_new_manifest_is_the_schema_with_its_extra_sections(tiny_artifact: Path) -> None:
    m = Manifest.read(tiny_artifact)
    built = new_manifest(
        name=m.name, version=m.version, created_utc=m["created_utc"], inputs=m["inputs"],
        inputs_sha256=m["inputs_sha256"], export_config_sha256=m["export_config_sha256"],
        input_spec=m.input_spec, normalization=m.normalization, latent_dim=m["latent_dim"],
        motifs=m.motifs, files=m.files, onnx=m.onnx_backend, accelerator_graph=m.accelerator_graph,
        tolerance=m["tolerance"], parity=m["parity"], source=m.source, recipe=m["recipe"],
        tools=m["tools"], extra={"build_seconds": m["build_seconds"]},
    )  # fmt: skip
    assert built.as_dict() == m.as_dict()


def test_sections_are_typed() -> None:
    spec = InputSpec.from_dict({"window": "100", "channels": ["ax"], "sample_rate_hz": 100})
    assert spec.window == 100 and spec.channels == ("ax",) and spec.range is None
    assert Normalization.from_dict({"mean": [1], "std": [2]}) == Normalization((1.0,), (2.0,))
    assert Motifs.from_dict({"count": 1, "prototypes": [[1, 0]]}).prototypes == ((1.0, 0.0),)
    assert OnnxBackend("a.onnx", "x", "z").as_dict()["layout"] == "NCHW"
    assert AcceleratorGraph("a", "x", (1, 9, 1, 100), "z", (1, 64, 1, 1), 13).as_dict()[
        "input_shape"] == [1, 9, 1, 100]  # fmt: skip
    assert Source("checkpoint", "s", "w").as_dict()["kind"] == "checkpoint"
    with pytest.raises(ArtifactError, match="schema 2 is not supported"):
        Manifest({"schema": 2}).validate()

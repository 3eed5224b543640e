"""The fast untrained artifact is complete and valid per docs/artifact.md."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
from edge_artifact import load_artifact
from edge_artifact.tail import HostTail, cosine_rows

EXPECTED = {
    "manifest.json",
    "export_config.yaml",
    "encoder_accel.onnx",
    "encoder_cpu.onnx",
    "golden.npz",
    "calibration.npy",
    "parity.json",
    "parity.png",
}


def test_artifact_has_every_file_and_hashes_verify(tiny_artifact):
    assert {p.name for p in tiny_artifact.iterdir()} == EXPECTED
    art = load_artifact(tiny_artifact, verify=True)
    assert set(art.manifest["files"]) == EXPECTED - {"manifest.json"}
    assert art.version.startswith("0.1.0-") and len(art.version.split("-")[1]) == 12
    assert art.manifest["tolerance"]["onnx"] == {"min_cosine": 0.99999, "rtol": 1e-3, "atol": 1e-5}


def test_calibration_is_nhwc_normalized(tiny_artifact):
    cal = np.load(tiny_artifact / "calibration.npy")
    assert cal.shape == (1024, 1, 100, 9) and cal.dtype == np.float32
    # z-scored with the manifest stats: bounded, roughly centred (synthetic data, not unit var)
    assert np.abs(cal.mean()) < 1.0 and np.isfinite(cal).all()


def test_golden_reproduces_with_the_cpu_onnx_and_host_tail(tiny_artifact):
    art = load_artifact(tiny_artifact)
    tail = HostTail.from_manifest(art.manifest)
    g = np.load(tiny_artifact / "golden.npz")
    assert g["x"].shape == (256, 100, 9) and g["latent"].shape == (256, 64)
    assert g["motif_scores"].shape == (256, 12)
    sess = ort.InferenceSession(str(art.file("encoder_cpu.onnx")))
    y = sess.run(None, {"imu_nchw": tail.prepare(g["x"], "NCHW")})[0]
    z = tail.latent(y)
    assert cosine_rows(z, g["latent"]).min() >= 0.99999
    np.testing.assert_allclose(tail.motif_scores(z), g["motif_scores"], rtol=1e-3, atol=1e-5)
    assert (g["motif_scores"] >= 0).all() and (g["motif_scores"] <= 1).all()


def test_accel_onnx_is_batch1_static_and_cpu_is_dynamic(tiny_artifact):
    import onnx

    acc = onnx.load(str(tiny_artifact / "encoder_accel.onnx"))
    dims = [d.dim_value for d in acc.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 9, 1, 100]
    cpu = onnx.load(str(tiny_artifact / "encoder_cpu.onnx"))
    assert cpu.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_manifest_carries_normalization_from_export_config(tiny_artifact):
    import hashlib

    m = json.loads((tiny_artifact / "manifest.json").read_text())
    raw = (tiny_artifact / "export_config.yaml").read_bytes()
    assert m["export_config_sha256"] == hashlib.sha256(raw).hexdigest()
    assert m["normalization"]["mean"][2] == 9.78 and m["normalization"]["std"][6] == 28.5
    protos = np.asarray(m["motifs"]["prototypes"])
    assert protos.shape == (12, 64)
    np.testing.assert_allclose(np.linalg.norm(protos, axis=1), 1.0, atol=1e-6)

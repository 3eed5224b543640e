"""The DFC step (edge_compiler.hef.dfc): artifact folder -> + encoder.hef, with quantized parity.

Everything that runs the Dataflow Compiler here is verified against a fake, not on hardware
(tests/fakes/hailo_sdk_client); the test names say so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dfc_artifact
import numpy as np
import pytest
from edge_artifact import load_artifact, sha256_file
from edge_compiler import cli
from edge_compiler.hef import dfc
from edge_compiler.hef.gate import Thresholds, gate, measure
from edge_compiler.hef.script import ScriptOptions, model_script


@pytest.fixture()
def no_dfc(monkeypatch):
    for m in [m for m in sys.modules if m.startswith("hailo_sdk_client")]:
        monkeypatch.delitem(sys.modules, m)
    monkeypatch.setitem(sys.modules, "hailo_sdk_client", None)  # import -> ImportError


def opts(tmp_path, **kw) -> dfc.HefOptions:
    kw.setdefault("work_dir", tmp_path / "work")
    return dfc.HefOptions(**kw)


# -- the model script -----------------------------------------------------------------------
def test_alls_carries_locked_normalization_and_16bit_latent():
    text = model_script(dfc_artifact.MEAN, dfc_artifact.STD, ScriptOptions())
    lines = text.splitlines()
    assert (
        "normalization1 = normalization([0.12, -0.08, 9.78, 0.002, -0.001, 0.003, 22.4, -8.7, "
        "43.2], [3.92, 3.87, 2.45, 1.24, 1.31, 0.98, 28.5, 31.2, 24.8])"
    ) in lines
    assert "quantization_param(output_layer1, precision_mode=a16_w16)" in lines
    assert "quantization_param(input_layer1, precision_mode=a16_w16)" in lines
    assert "model_optimization_config(calibration, batch_size=8, calibset_size=1024)" in lines


def test_alls_with_host_normalization_has_no_normalization_layer():
    o = ScriptOptions(normalization_on_chip=False, input_precision="a8_w8")
    text = model_script(dfc_artifact.MEAN, dfc_artifact.STD, o)
    assert "normalization(" not in text
    assert "input_layer1" not in text
    assert "quantization_param(output_layer1, precision_mode=a16_w16)" in text


def test_alls_rejects_bad_options():
    with pytest.raises(ValueError, match="precision"):
        ScriptOptions(output_precision="a12_w12")
    with pytest.raises(ValueError, match="std"):
        model_script([0.0] * 9, [1.0] * 8 + [0.0], ScriptOptions())


def test_parity_figures_and_gate():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((50, 64))
    p, _cos, _snr = measure(ref, ref + 0.01 * rng.standard_normal((50, 64)))
    assert p.min_cosine > 0.999 and 35 < p.min_snr_db < 45 and not gate(p, Thresholds())
    p2, _, _ = measure(ref, ref + 0.5 * rng.standard_normal((50, 64)))
    fails = gate(p2, Thresholds())
    assert any("cosine" in f for f in fails) and any("SNR" in f for f in fails)


# -- the step against the fake ---------------------------------------------------------------
@pytest.mark.fake_hailo
def test_hef_built_and_manifest_updated_verified_against_fake_not_hardware(fake_dfc, art, tmp_path):
    res = dfc.compile_hef(art, opts(tmp_path), log=lambda s: None)
    assert res.status == "built", res.reason
    m = json.loads((art / "manifest.json").read_text())
    for name in (
        "encoder.hailo8l.hef",
        "encoder.hailo8l.har",
        "encoder.hailo8l.alls",
        "hailo_parity.hailo8l.json",
        "hailo_parity.hailo8l.png",
    ):
        assert m["files"][name]["sha256"] == sha256_file(art / name)
    hb = m["backends"]["hailo"]
    assert hb["file"] == "encoder.hailo8l.hef" and hb["layout"] == "NHWC"
    assert hb["normalization_on_chip"] is True
    assert hb["hw_arch"] == "hailo8l" and hb["dfc_version"] == "3.33.0+fake"
    assert hb["hefs"]["hailo8l"]["parity"] == m["parity"]["hailo"]
    assert hb["input_shape"] == [1, 100, 9]
    assert m["tolerance"]["hailo"] == {"min_cosine": 0.99, "min_snr_db": 20.0}
    par = m["parity"]["hailo"]
    assert 0.99 <= par["min_cosine"] < 1.0 and par["min_snr_db"] >= 20.0
    assert m["tools"]["hailo_dataflow_compiler"] == "3.33.0+fake"
    load_artifact(art, verify=True)
    alls = (art / "encoder.hailo8l.alls").read_text()
    assert "normalization1 = normalization(" in alls
    assert "quantization_param(output_layer1, precision_mode=a16_w16)" in alls

    # the HEF takes RAW NHWC windows (normalization on chip) and reproduces the golden latents
    from hailo_sdk_client import fake_hef  # fake_dfc put the fakes on sys.path

    hef = fake_hef.load((art / "encoder.hailo8l.hef").read_bytes())
    assert hef.header["hw_arch"] == "hailo8l" and hef.header["normalization_on_chip"]
    g = np.load(art / "golden.npz")
    got = hef.run(g["x"].reshape(-1, 1, 100, 9)).reshape(len(g["x"]), -1)
    p, _, _ = measure(g["latent"], got)
    assert p.min_cosine == pytest.approx(par["min_cosine"], abs=1e-6)


@pytest.mark.fake_hailo
def test_rerun_is_up_to_date_and_hw_arch_change_rebuilds_verified_against_fake_not_hardware(
    fake_dfc, art, tmp_path
):
    assert dfc.compile_hef(art, opts(tmp_path, hw_arch="hailo8"), log=print).status == "built"
    before = (art / "manifest.json").read_bytes()
    res = dfc.compile_hef(art, opts(tmp_path, hw_arch="hailo8"), log=lambda s: None)
    assert res.status == "up-to-date"
    assert (art / "manifest.json").read_bytes() == before
    res = dfc.compile_hef(art, opts(tmp_path, hw_arch="hailo8l"), log=lambda s: None)
    assert res.status == "built"
    m = json.loads((art / "manifest.json").read_text())
    # both HEFs from the same ONNX and calibration, each with its own parity figures; the
    # primary at the top of backends.hailo is the one every device runs
    assert m["backends"]["hailo"]["hw_arch"] == "hailo8l"
    assert sorted(m["backends"]["hailo"]["hefs"]) == ["hailo8", "hailo8l"]
    for arch in ("hailo8", "hailo8l"):
        hef = m["backends"]["hailo"]["hefs"][arch]
        assert m["files"][hef["file"]]["sha256"] == sha256_file(art / f"encoder.{arch}.hef")
        assert hef["parity"]["min_cosine"] >= 0.99 and hef["parity"]["windows"] > 0
    assert m["parity"]["hailo"] == m["backends"]["hailo"]["hefs"]["hailo8l"]["parity"]
    assert res.parity is not None
    again = dfc.compile_hef(art, opts(tmp_path, hw_arch="hailo8"), log=lambda s: None)
    assert again.status == "up-to-date"  # adding hailo8l kept the hailo8 HEF
    load_artifact(art, verify=True)


@pytest.mark.fake_hailo
def test_bad_quantization_fails_the_gate_verified_against_fake_not_hardware(
    fake_dfc, art, tmp_path
):
    before = (art / "manifest.json").read_bytes()
    o = opts(
        tmp_path,
        thresholds=Thresholds(0.99, 30.0),
        script=ScriptOptions(extra_lines=("quantization_param({conv*}, precision_mode=a8_w4)",)),
    )
    res = dfc.compile_hef(art, o, log=lambda s: None)
    assert res.status == "rejected" and res.exit_code("auto") == 2
    assert any("SNR" in f for f in res.failures)
    assert (art / "manifest.json").read_bytes() == before
    assert not list(art.glob("encoder*.hef"))
    assert len(res.attempts) == 2  # the standard script, then every layer at 16 bit
    assert res.attempts[1]["script"] == "all layers a16_w16"
    for n in (1, 2):  # kept for inspection
        assert (Path(res.work_dir) / f"attempt{n}" / "hailo_parity.json").is_file()
    assert (
        "{*}, precision_mode=a16_w16" in (Path(res.work_dir) / "attempt2/encoder.alls").read_text()
    )


@pytest.mark.fake_hailo
def test_tight_threshold_rejects_realistic_quantization_verified_against_fake_not_hardware(
    fake_dfc, art, tmp_path
):
    o = opts(tmp_path, thresholds=Thresholds(0.99999, 20), escalate=False)
    res = dfc.compile_hef(art, o, log=print)
    assert res.status == "rejected"
    assert any("cosine" in f for f in res.failures)


@pytest.mark.fake_hailo
def test_host_normalization_hef_takes_normalized_input_verified_against_fake_not_hardware(
    fake_dfc, art, tmp_path
):
    o = opts(tmp_path, script=ScriptOptions(normalization_on_chip=False, input_precision="a8_w8"))
    res = dfc.compile_hef(art, o, log=lambda s: None)
    assert res.status == "built", res.reason
    m = json.loads((art / "manifest.json").read_text())
    assert m["backends"]["hailo"]["normalization_on_chip"] is False
    assert "normalization(" not in (art / m["backends"]["hailo"]["model_script"]).read_text()


def test_without_dfc_auto_builds_nothing_and_says_why(no_dfc, art, tmp_path):
    before = (art / "manifest.json").read_bytes()
    res = dfc.compile_hef(art, opts(tmp_path), log=lambda s: None)
    assert res.status == "unavailable"
    assert "no HEF was built" in res.reason and "not installed" in res.reason
    assert res.exit_code("auto") == 0 and res.exit_code("require") == 3
    assert (art / "manifest.json").read_bytes() == before


def test_cli_exit_codes_without_dfc(no_dfc, art, capsys):
    assert cli.main(["compile-hef", str(art), "--hef", "auto"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1])["status"] == "unavailable"
    assert "no HEF was built" in out
    assert cli.main(["compile-hef", str(art), "--hef", "require"]) == 3
    assert cli.main(["compile-hef", str(art), "--hef", "skip"]) == 0


@pytest.mark.fake_hailo
def test_cli_builds_and_reports_verified_against_fake_not_hardware(fake_dfc, art, tmp_path, capsys):
    work = ["--work-dir", str(tmp_path / "w")]
    rc = cli.main(["compile-hef", str(art), "--hef", "require", "--hw-arch", "hailo8l", *work])
    out = capsys.readouterr().out
    assert rc == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "built" and summary["hw_arch"] == "hailo8l"
    assert "min cosine" in out
    rc = cli.main(
        [
            "compile-hef",
            str(art),
            "--hef",
            "require",
            "--min-snr-db",
            "200",
            "--force",
            "--work-dir",
            str(tmp_path / "w"),
        ]
    )
    assert rc == 2


@pytest.mark.fake_hailo
def test_corrupt_artifact_and_small_calibration_are_refused_verified_against_fake_not_hardware(
    fake_dfc, art, tmp_path
):
    with pytest.raises(dfc.DfcError, match="calibset size"):
        dfc.compile_hef(art, opts(tmp_path, script=ScriptOptions(calibset_size=4096)))
    with open(art / "golden.npz", "ab") as f:
        f.write(b"x")
    with pytest.raises(dfc.DfcError, match="sha256"):
        dfc.compile_hef(art, opts(tmp_path))


# -- with the real encoder artifact (engineer A's build) ---------------------------------------
@pytest.mark.fake_hailo
def test_real_encoder_artifact_gets_a_hef_verified_against_fake_not_hardware(
    fake_dfc, tiny_artifact, tmp_path
):
    import shutil

    art = tmp_path / "art"
    shutil.copytree(tiny_artifact, art)
    res = dfc.compile_hef(art, opts(tmp_path), log=lambda s: None)
    assert res.status == "built", res.reason
    assert len(res.attempts) == 1  # the standard script (8-bit inside) passes for this model
    assert res.parity["min_cosine"] >= 0.99 and res.parity["min_snr_db"] >= 20
    assert res.fp_parity["min_cosine"] > 0.99999  # the on-chip normalization is exact
    m = load_artifact(art, verify=True).manifest
    assert m["backends"]["hailo"]["calibration"]["windows"] == 1024


@pytest.mark.fake_hailo
def test_user_calibration_windows_verified_against_fake_not_hardware(fake_dfc, art, tmp_path):
    cal = tmp_path / "recorded.npy"
    np.save(cal, dfc_artifact.raw_windows(1024, 42))
    res = dfc.compile_hef(art, opts(tmp_path, calibration=cal), log=lambda s: None)
    assert res.status == "built", res.reason
    m = json.loads((art / "manifest.json").read_text())
    assert m["backends"]["hailo"]["calibration"]["source"] == "user: recorded.npy"
    np.save(cal, dfc_artifact.raw_windows(1024, 42).reshape(1024, 1, 100, 9))
    with pytest.raises(dfc.DfcError, match="raw recorded windows"):
        dfc.compile_hef(art, opts(tmp_path, calibration=cal, force=True))


@pytest.mark.slow
def test_pipeline_builds_reports_and_is_idempotent_without_dfc(no_dfc, tmp_path):
    """The compile.yml command on the untrained recipe: ONNX artifact, no HEF (and why)."""
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH="")  # no fake on the path: the real situation here
    cmd = [sys.executable, "-m", "edge_compiler.hef.pipeline", "--source", "untrained",
           "--out", str(tmp_path / "a")]  # fmt: skip
    r1 = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r1.returncode == 0, r1.stderr
    s1 = json.loads(r1.stdout.strip().splitlines()[-1])
    assert s1["changed"] and s1["hef"] == "unavailable" and "no HEF was built" in s1["hef_reason"]
    art = Path(s1["artifact"])
    assert "compile_report.json" in s1["files"] and "encoder.hef" not in s1["files"]
    rep = json.loads((art / "compile_report.json").read_text())
    assert rep["hef"]["status"] == "unavailable" and rep["parity"]["onnx"]["min_cosine"] > 0.9999
    load_artifact(art, verify=True)
    before = (art / "manifest.json").read_bytes()
    r2 = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    s2 = json.loads(r2.stdout.strip().splitlines()[-1])
    assert r2.returncode == 0 and not s2["changed"] and s2["build_skipped"]
    assert (art / "manifest.json").read_bytes() == before
    r3 = subprocess.run([*cmd, "--hef", "require"], capture_output=True, text=True, env=env)
    assert r3.returncode == 3 and "--hef require" in r3.stderr


@pytest.mark.fake_hailo
def test_imported_edgeinfer_model_escalates_to_16_bit_verified_against_fake_not_hardware(
    fake_dfc, edgeinfer_onnx, tmp_path
):
    """The real trained encoder loses too much at 8-bit activations in the fake's emulation;
    the step then retries with every layer at a16_w16 and records that it did."""
    import subprocess

    out = tmp_path / "a"
    r = subprocess.run(
        [sys.executable, "-m", "edge_compiler", "build", "--from-onnx", str(edgeinfer_onnx),
         "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    art = Path(r.stdout.strip().splitlines()[-1])
    res = dfc.compile_hef(art, opts(tmp_path), log=lambda s: None)
    assert res.status == "built", res.reason
    assert [a["script"] for a in res.attempts][-1] == "all layers a16_w16"
    hb = load_artifact(art, verify=True).manifest["backends"]["hailo"]
    assert hb["all_layers_precision"] == "a16_w16"
    assert hb["precision_escalated"] is (len(res.attempts) == 2)


def test_code_hashes_split_by_package_not_file_name(tmp_path, monkeypatch):
    """Artifact versions hash edge_compiler without hef/; the HEF key hashes exactly hef/."""
    import shutil

    from edge_compiler import versioning

    pkg = tmp_path / "edge_compiler"
    shutil.copytree(Path(versioning.__file__).parent, pkg, ignore=shutil.ignore_patterns("*.pyc"))
    monkeypatch.setattr(versioning, "_COMPILER", pkg)
    monkeypatch.setattr(dfc, "PACKAGE", pkg / "hef")
    code, hef = versioning.code_sha256(), dfc.dfc_code_sha256()
    (pkg / "hef" / "dfc.py").write_text((pkg / "hef" / "dfc.py").read_text() + "# changed\n")
    assert versioning.code_sha256() == code and dfc.dfc_code_sha256() != hef
    (pkg / "dfc_helpers.py").write_text("# outside hef/, named like the old dfc* glob\n")
    assert versioning.code_sha256() != code

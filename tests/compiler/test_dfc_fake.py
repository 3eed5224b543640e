"""The fake hailo_sdk_client itself: it must reject what the documented DFC flow rejects.

All of this is verified against a fake, not on hardware (tests/fakes/hailo_sdk_client).
"""

from __future__ import annotations

import dfc_artifact
import numpy as np
import pytest

pytestmark = pytest.mark.fake_hailo
NORM = f"normalization1 = normalization({dfc_artifact.MEAN}, {dfc_artifact.STD})"


@pytest.fixture(scope="module")
def art(tmp_path_factory):
    """One artifact for the module (32 golden windows), read-only here: overrides conftest's."""
    return dfc_artifact.build_artifact(tmp_path_factory.mktemp("art"), n_golden=32)


@pytest.fixture(scope="module")
def calib_raw(art):
    c = np.load(art / "calibration.npy")
    return (
        c * np.asarray(dfc_artifact.STD, np.float32) + np.asarray(dfc_artifact.MEAN, np.float32)
    ).astype(np.float32)


def translated(sdk, art, **kw):
    r = sdk.ClientRunner(hw_arch="hailo8")
    args = dict(
        start_node_names=["imu_nchw"],
        end_node_names=["/fc_mu/Conv"],
        net_input_shapes={"imu_nchw": [1, 9, 1, 100]},
    )
    args.update(kw)
    r.translate_onnx_model(str(art / "encoder_accel.onnx"), "tcn", **args)
    return r


def test_fake_rejects_unknown_hw_arch_verified_against_fake_not_hardware(sdk):
    with pytest.raises(ValueError, match="hw_arch"):
        sdk.ClientRunner(hw_arch="hailo9")


def test_fake_call_order_enforced_verified_against_fake_not_hardware(sdk, art, calib_raw):
    from hailo_sdk_client.exceptions import InvalidStateError

    r = sdk.ClientRunner(hw_arch="hailo8")
    with pytest.raises(InvalidStateError):
        r.load_model_script(NORM)  # before translate
    with pytest.raises(InvalidStateError):
        r.optimize(calib_raw)
    r = translated(sdk, art)
    with pytest.raises(InvalidStateError, match="compile"):
        r.compile()  # before optimize
    with pytest.raises(InvalidStateError), r.infer_context(sdk.InferenceContext.SDK_QUANTIZED):
        pass
    with pytest.raises(InvalidStateError):
        r.translate_onnx_model(str(art / "encoder_accel.onnx"), "tcn")  # twice
    r.load_model_script(NORM)
    r.optimize(calib_raw)
    with pytest.raises(InvalidStateError):
        r.load_model_script(NORM)  # after optimize
    assert r.compile()[:7] == b"FAKEHEF"
    with pytest.raises(InvalidStateError):
        r.optimize(calib_raw)  # after compile


def test_fake_translate_checks_names_and_shapes_verified_against_fake_not_hardware(sdk, art):
    from hailo_sdk_client.exceptions import ParsingError

    with pytest.raises(ParsingError, match="end node"):
        translated(sdk, art, end_node_names=["latent"])  # a tensor name, not a node name
    with pytest.raises(ParsingError, match="start node"):
        translated(sdk, art, start_node_names=["nope"])
    with pytest.raises(ParsingError, match="does not match"):
        translated(sdk, art, net_input_shapes={"imu_nchw": [1, 1, 100, 9]})  # NHWC given
    with pytest.raises(TypeError):
        translated(sdk, art, input_shapes={"imu_nchw": [1, 9, 1, 100]})  # wrong keyword


def test_fake_rejects_unsupported_op_and_rank3_input_verified_against_fake_not_hardware(
    sdk, tmp_path
):
    import onnx
    from hailo_sdk_client.exceptions import ParsingError
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[0, 2, 1])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 100, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 9, 100])],
    )
    p = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), str(p))
    with pytest.raises(ParsingError, match="rank-4"):
        sdk.ClientRunner(hw_arch="hailo8").translate_onnx_model(str(p), "m")
    g2 = helper.make_graph(
        [helper.make_node("LpNormalization", ["x"], ["y"], name="lp", axis=1)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 9, 1, 100])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 9, 1, 100])],
    )
    onnx.save(helper.make_model(g2, opset_imports=[helper.make_opsetid("", 11)]), str(p))
    with pytest.raises(ParsingError, match="LpNormalization"):
        sdk.ClientRunner(hw_arch="hailo8").translate_onnx_model(str(p), "m")


@pytest.mark.parametrize(
    "line, match",
    [
        ("frobnicate(conv1)", "unknown command"),
        ("quantization_param(output_layer9, precision_mode=a16_w16)", "no layer named"),
        ("quantization_param(output_layer1, precision_mode=a12_w12)", "precision_mode"),
        ("quantization_param(output_layer1, precision=a16_w16)", "no keyword"),
        ("normalization1 = normalization([0.0, 0.0], [1.0, 1.0])", "9 channels"),
        ("normalization1 = normalization([0.0]*9, [1.0]*9)", "bad list"),
        ("model_optimization_flavor(optimization_level=7)", "0..4"),
    ],
)
def test_fake_model_script_rejects_bad_lines_verified_against_fake_not_hardware(
    sdk, art, line, match
):
    from hailo_sdk_client.exceptions import ModelScriptError

    r = translated(sdk, art)
    with pytest.raises(ModelScriptError, match=match):
        r.load_model_script(line)


def test_fake_model_script_accepts_model_zoo_forms_verified_against_fake_not_hardware(sdk, art):
    r = translated(sdk, art)
    r.load_model_script(
        NORM + "\n# a comment\n"
        "model_optimization_flavor(optimization_level=2, compression_level=0)\n"
        "model_optimization_config(calibration, batch_size=8, calibset_size=1024)\n"
        "quantization_param({output_layer*}, precision_mode=a16_w16)\n"
        "quantization_param([conv1, tcn/conv2], precision_mode=a8_w8)\n"
        "performance_param(compiler_optimization_level=max)\n"
    )
    assert "normalization1" in r.model_script


def test_fake_optimize_rejects_nchw_float64_and_small_sets_verified_against_fake_not_hardware(
    sdk, art, calib_raw
):
    from hailo_sdk_client.exceptions import CalibrationDataError

    r = translated(sdk, art)
    r.load_model_script(NORM)
    nchw = np.ascontiguousarray(calib_raw.transpose(0, 3, 1, 2))  # (N, 9, 1, 100)
    with pytest.raises(CalibrationDataError, match="NCHW"):
        r.optimize(nchw)
    with pytest.raises(CalibrationDataError, match="float32"):
        r.optimize(calib_raw.astype(np.float64))
    with pytest.raises(CalibrationDataError, match="calibset size"):
        r.optimize(calib_raw[:512])
    r.load_model_script("model_optimization_config(calibration, calibset_size=2048)", append=True)
    with pytest.raises(CalibrationDataError, match="2048"):
        r.optimize(calib_raw)


def test_fake_emulator_is_close_but_not_identical_verified_against_fake_not_hardware(
    sdk, art, calib_raw
):
    r = translated(sdk, art)
    r.load_model_script(NORM + "\nquantization_param(output_layer1, precision_mode=a16_w16)")
    r.optimize(calib_raw)
    g = np.load(art / "golden.npz")
    x = g["x"].reshape(-1, 1, 100, 9)
    with (
        r.infer_context(sdk.InferenceContext.SDK_NATIVE) as ctx,
        pytest.raises(Exception, match="NHWC"),
    ):
        r.infer(ctx, x.transpose(0, 3, 1, 2))
    with r.infer_context(sdk.InferenceContext.SDK_FP_OPTIMIZED) as ctx:
        fp = r.infer(ctx, x).reshape(len(x), -1)
    with r.infer_context(sdk.InferenceContext.SDK_QUANTIZED) as ctx:
        q = r.infer(ctx, x)
    assert q.shape == (len(x), 1, 1, 64)  # NHWC output
    q = q.reshape(len(x), -1)
    np.testing.assert_allclose(fp, g["latent"], rtol=1e-4, atol=1e-5)
    err = np.abs(q - g["latent"]).max()
    assert 0 < err < 0.2 * np.abs(g["latent"]).max()


def test_fake_hef_and_har_round_trip_verified_against_fake_not_hardware(
    sdk, art, calib_raw, tmp_path
):
    from hailo_sdk_client import fake_hef

    r = translated(sdk, art)
    r.load_model_script(NORM)
    r.optimize(calib_raw)
    hef = fake_hef.load(r.compile())
    assert hef.header["hw_arch"] == "hailo8"
    assert hef.header["inputs"][0]["shape"] == [1, 100, 9]
    assert hef.header["outputs"][0]["shape"] == [1, 1, 64]
    x = np.load(art / "golden.npz")["x"].reshape(-1, 1, 100, 9)
    with r.infer_context(sdk.InferenceContext.SDK_QUANTIZED) as ctx:
        q = r.infer(ctx, x)
    np.testing.assert_array_equal(hef.run(x), q)  # the "chip" runs what the emulator ran
    r.save_har(tmp_path / "m.har")
    r2 = sdk.ClientRunner(har=tmp_path / "m.har")
    assert r2.state == sdk.States.COMPILED_MODEL
    with r2.infer_context(sdk.InferenceContext.SDK_QUANTIZED) as ctx:
        np.testing.assert_array_equal(r2.infer(ctx, x), q)

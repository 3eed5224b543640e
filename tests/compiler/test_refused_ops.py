"""The fake DFC parser and `check-onnx` refuse the same ops (sources: tests/fakes/hailo_sdk_client/
_refused.py and edge_compiler/compat.py); the project's own encoder passes both; folding each
causal Pad into its Conv's `pads` gives the same numbers.

Everything about the parser is verified against a fake, not on hardware.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from edge_compiler.compat import KNOWN_REFUSED, POLICY_REFUSED, check_model, check_onnx
from onnx import TensorProto, helper, numpy_helper

pytestmark = pytest.mark.fake_hailo
IN_SHAPE = [1, 9, 1, 100]


def _const(name: str, value, dtype=np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def _tail(op: str) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """Nodes after a (1,3) Conv whose output is `c` (1, 4, 1, 100); the last one is the op."""
    if op == "Reshape":
        return [helper.make_node("Reshape", ["c", "shape"], ["y"], name="op")], [
            _const("shape", [1, -1], np.int64)
        ]
    if op == "Flatten":
        return [helper.make_node("Flatten", ["c"], ["y"], name="op", axis=1)], []
    if op == "Squeeze":
        return [helper.make_node("Squeeze", ["c"], ["y"], name="op", axes=[2])], []
    if op == "Unsqueeze":
        return [helper.make_node("Unsqueeze", ["c"], ["y"], name="op", axes=[4])], []
    if op == "Transpose":
        return [helper.make_node("Transpose", ["c"], ["y"], name="op", perm=[0, 2, 3, 1])], []
    if op == "Slice":
        consts = [
            _const("st", [0], np.int64),
            _const("en", [50], np.int64),
            _const("ax", [3], np.int64),
        ]
        return [helper.make_node("Slice", ["c", "st", "en", "ax"], ["y"], name="op")], consts
    if op == "MatMul":
        return [helper.make_node("MatMul", ["c", "mw"], ["y"], name="op")], [
            _const("mw", np.ones((100, 8)))
        ]
    if op == "Conv1d":  # a native 1-D conv (needs a rank-3 tensor: Squeeze first)
        return [
            helper.make_node("Squeeze", ["c"], ["s"], name="sq", axes=[2]),
            helper.make_node("Conv", ["s", "w1"], ["y"], name="op", kernel_shape=[3]),
        ], [_const("w1", np.ones((4, 4, 3)) * 0.1)]
    if op == "PadReflect":
        return [
            helper.make_node("Pad", ["c", "pads"], ["y"], name="op", mode="reflect"),
        ], [_const("pads", [0, 0, 0, 2, 0, 0, 0, 0], np.int64)]
    raise AssertionError(op)


def tiny_onnx(tmp_path: Path, op: str) -> Path:
    """input (1,9,1,100) -> Conv (1,3) pads 1 -> <op>: a valid opset-11 model, one per op."""
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node(
            "Conv", ["x", "w", "b"], ["c"], name="conv", kernel_shape=[1, 3], pads=[0, 1, 0, 1]
        )
    ]
    inits = [_const("w", rng.normal(0, 0.1, (4, 9, 1, 3))), _const("b", np.zeros(4))]
    tail, consts = _tail(op)
    g = helper.make_graph(
        nodes + tail,
        f"tiny_{op}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, IN_SHAPE)],
        [],
        inits + consts,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    inferred = onnx.shape_inference.infer_shapes(model).graph.value_info
    model.graph.output.append(next(v for v in inferred if v.name == "y"))
    onnx.checker.check_model(model)
    p = tmp_path / f"{op}.onnx"
    onnx.save(model, str(p))
    return p


def _fake_translate(hailo_sdk_client, path: Path) -> None:
    runner = hailo_sdk_client.ClientRunner(hw_arch="hailo8l")
    runner.translate_onnx_model(
        str(path), "tiny", start_node_names=["x"], end_node_names=["op"],
        net_input_shapes={"x": IN_SHAPE},
    )  # fmt: skip


REFUSED_CASES = [*sorted(KNOWN_REFUSED), "Conv1d", "PadReflect"]


def test_every_op_the_fake_refuses_is_listed_in_compat_too_verified_against_fake(sdk):
    refused = sdk._refused
    assert set(refused.REFUSED_OPS) == set(KNOWN_REFUSED)
    for key in {k for _, _, k in refused.REFUSED_OPS.values()}:
        assert key in refused.SOURCES


@pytest.mark.parametrize("op", REFUSED_CASES)
def test_fake_parser_and_check_onnx_both_refuse_verified_against_fake_not_hardware(
    sdk, tmp_path, op
):
    hailo_sdk_client = sdk
    path = tiny_onnx(tmp_path, op)
    from hailo_sdk_client.exceptions import UnsupportedOperationError

    with pytest.raises(UnsupportedOperationError) as fake_err:
        _fake_translate(hailo_sdk_client, path)
    assert "in op op:" in str(fake_err.value)  # names the offending node
    problems = check_model(onnx.load(str(path)))
    assert "op" in [p.node for p in problems], problems


@pytest.mark.parametrize("op", sorted(POLICY_REFUSED))
def test_policy_ops_are_refused_by_check_onnx_as_policy_not_as_parser_errors_verified_against_fake(
    sdk, tmp_path, op
):
    """Issue 27 item 7b: Reshape, Slice and MatMul are the project's policy (check-onnx says
    so); no cited source shows the real parser refusing every one of them, so the fake parser
    must not raise a real parser error class for them. It cannot emulate them either, and says
    that is its own limit. Fails on the old fake (UnsupportedShuffleLayerError for all three)."""
    hailo_sdk_client, refused = sdk, sdk._refused
    assert op not in refused.REFUSED_OPS
    path = tiny_onnx(tmp_path, op)
    from hailo_sdk_client.exceptions import UnsupportedOperationError

    with pytest.raises(UnsupportedOperationError) as fake_err:
        _fake_translate(hailo_sdk_client, path)
    msg = str(fake_err.value)
    assert "not supported by this fake parser" in msg
    assert "ShuffleLayerError" not in msg and "Parsing failed" not in msg
    problems = [p for p in check_model(onnx.load(str(path))) if p.node == "op"]
    assert problems and "project policy, not a parser error" in problems[0].reason, problems


def test_the_control_graph_passes_both_so_the_refusals_are_the_ops_verified_against_fake(
    sdk, tmp_path
):
    """The same tiny model ending in a Relu instead of the refused op is taken by both."""
    hailo_sdk_client = sdk
    rng = np.random.default_rng(0)
    g = helper.make_graph(
        [
            helper.make_node(
                "Conv", ["x", "w", "b"], ["c"], name="conv", kernel_shape=[1, 3], pads=[0, 1, 0, 1]
            ),
            helper.make_node("Relu", ["c"], ["y"], name="op"),
        ],
        "tiny_ok",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, IN_SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 100])],
        [_const("w", rng.normal(0, 0.1, (4, 9, 1, 3))), _const("b", np.zeros(4))],
    )
    p = tmp_path / "ok.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), str(p))
    _fake_translate(hailo_sdk_client, p)
    assert check_model(onnx.load(str(p))) == []


def test_project_encoder_passes_the_fake_parser_and_check_onnx_verified_against_fake(
    sdk, tiny_artifact
):
    hailo_sdk_client = sdk
    onnx_path = tiny_artifact / "encoder_accel.onnx"
    check_onnx(onnx_path)
    runner = hailo_sdk_client.ClientRunner(hw_arch="hailo8l")
    runner.translate_onnx_model(
        str(onnx_path), "tcn", start_node_names=["imu_nchw"], end_node_names=["/fc_mu/Conv"],
        net_input_shapes={"imu_nchw": IN_SHAPE},
    )  # fmt: skip


def fold_pads_into_convs(model: onnx.ModelProto) -> onnx.ModelProto:
    """Each constant Pad feeding only a Conv becomes that Conv's own `pads` (the variant)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    readers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    drop = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        (conv,) = readers[pad.output[0]]
        assert conv.op_type == "Conv"
        p = [int(v) for v in consts[pad.input[1]]]  # [n, c, h, w begins, n, c, h, w ends]
        conv.input[0] = pad.input[0]
        old = next((a for a in conv.attribute if a.name == "pads"), None)
        assert old is None or not any(old.ints), "the Conv after a causal Pad must be VALID"
        if old is not None:
            conv.attribute.remove(old)
        conv.attribute.append(helper.make_attribute("pads", [p[2], p[3], p[6], p[7]]))
        drop.append(pad)
    for n in drop:
        g.node.remove(n)
    return m


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_pad_folded_into_conv_pads_is_the_same_arithmetic(tiny_artifact):
    """Parity of the alternative form the docs might prefer (docs/model.md, causal padding)."""
    model = onnx.load(str(tiny_artifact / "encoder_accel.onnx"))
    folded = fold_pads_into_convs(model)
    assert {n.op_type for n in folded.graph.node} == {"Conv", "Relu", "Add", "GlobalAveragePool"}
    x = np.random.default_rng(1).normal(size=(1, 9, 1, 100)).astype(np.float32)
    a, b = _run(model, x), _run(folded, x)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    assert check_model(folded) == []

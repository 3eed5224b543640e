"""Hailo compatibility check of the accelerator ONNX (`python -m edge_compiler check-onnx FILE`).

The allow-list is the intersection of (a) layers the Hailo Dataflow Compiler's ONNX parser
documents as supported and (b) what this project lets into the accelerated graph.
Sources:
- Hailo Dataflow Compiler User Guide v3.30.0, section 5.5 "Supported Layers" (convolution,
  dense, average/global average pooling, elementwise add, activations incl. ReLU, external
  padding, concat ...), and its "Supported padding schemes" section;
- hailo-ai/hailo_model_zoo#98 (maintainer nadaved1, 2024-06): the parser does not support
  Transpose, Reshape or Squeeze; cut such tails off and run them on the host;
- hailo-ai/hailo_model_zoo#27 (same maintainer): "Support officially opset8 and opset11";
- user reports collected in /work/shared/reference/hailo.md section 2: native 1-D Conv timed out
  or was misread (channel count taken as window length): use Conv2d with kernel (1, k);
  Flatten -> FC raised UnsupportedShuffleLayerError.
- hailo-ai/Hailo-Application-Code-Examples#364 and ankandrew/fast-plate-ocr#44 (DFC
  tracebacks): `UnsupportedShuffleLayerError` on Reshape and on the reshapes around a MatMul;
- community.hailo.ai "Handling Unsupported Operations with ONNXRuntime": crop an op the DFC
  cannot parse with end_node_names and run it with ONNX Runtime.
Project policy on top of the docs (POLICY_REFUSED, said to be policy in each message): Gemm/MatMul
are excluded (a dense layer after a rank change needs a Squeeze/Flatten the parser rejects; a 1x1
Conv on (N,C,1,1) is the same arithmetic), Reshape is excluded (no rank changes on the chip), and
Slice is excluded (causal chomps are expressed as a left Pad instead).
The fake DFC (tests/fakes/hailo_sdk_client/_refused.py) keeps its own list of what a source shows
the real parser refusing; tests/compiler/test_refused_ops.py proves both refuse every op in
KNOWN_REFUSED and that the fake does not present the policy ops as parser errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

ALLOWED_OPS: dict[str, str] = {
    "Conv": "Hailo conv layer (kernel (1,k), group 1, stride 1 required here)",
    "Relu": "Hailo activation",
    "Add": "Hailo elementwise add",
    "GlobalAveragePool": "Hailo global average pooling",
    "Pad": "Hailo external padding (constant mode, constant pads, zero value)",
}
SUPPORTED_OPSETS = (8, 11)
# ops Hailo's parser is reported to refuse, with the source (a sharper reason than "not allowed")
KNOWN_REFUSED: dict[str, str] = {
    "Flatten": "Flatten -> FC raised UnsupportedShuffleLayerError (user report, DFC 3.32)",
    "Squeeze": "not supported by the parser (hailo_model_zoo#98)",
    "Unsqueeze": "a shuffle op the parser does not take (hailo_model_zoo#98)",
    "Transpose": "not supported by the parser (hailo_model_zoo#98)",
}
# ops this project keeps out of the accelerated graph although the parser takes them in some
# graphs: policy, not a parser error (the fake DFC does not refuse them as the real parser would)
POLICY_REFUSED: dict[str, str] = {
    "Reshape": "project policy, not a parser error: no rank changes on the chip (some Reshapes "
    "fail to parse, UnsupportedShuffleLayerError in Hailo-Application-Code-Examples#364, others "
    "parse); keep the shape change in the host tail",
    "Slice": "project policy, not a parser error: causal chomps are a left Pad instead; cut a "
    "Slice off with end_node_names and run it on the host",
    "MatMul": "project policy, not a parser error: a dense layer is a 1x1 Conv on (N, C, 1, 1) "
    "here (a MatMul on a rank > 2 tensor failed on its pre/post reshapes, fast-plate-ocr#44)",
}


class CompatError(Exception):
    """The accelerator ONNX holds something the Hailo parser will not take."""


class OnnxMissingError(CompatError):
    """The path is not a readable file (check-onnx exit 2)."""


class NotOnnxError(CompatError):
    """The file is not an ONNX model (check-onnx exit 3)."""


@dataclass(frozen=True)
class Problem:
    node: str
    op: str
    reason: str

    def __str__(self) -> str:
        return f"node {self.node!r} ({self.op}): {self.reason}"


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _static_dims(vi: onnx.ValueInfoProto) -> list[int] | None:
    dims = vi.type.tensor_type.shape.dim
    if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims):
        return None
    return [d.dim_value for d in dims]


def check_model(model: onnx.ModelProto) -> list[Problem]:
    """Every reason the graph is not Hailo-parser-friendly (empty list: it passes)."""
    g = model.graph
    problems: list[Problem] = []
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) not in SUPPORTED_OPSETS:
        problems.append(Problem("<model>", "opset", f"opset {opsets} not in {SUPPORTED_OPSETS}"))
    for vi in list(g.input) + list(g.output):
        if vi.name in consts:
            continue
        dims = _static_dims(vi)
        if dims is None:
            problems.append(
                Problem(vi.name, "graph io", "dynamic or unknown dimension (need static shapes)")
            )
        elif dims[0] != 1:
            problems.append(
                Problem(vi.name, "graph io", f"batch {dims[0]} (the accelerator graph is batch 1)")
            )
    real_inputs = [i for i in g.input if i.name not in consts]
    if len(real_inputs) == 1:
        dims = _static_dims(real_inputs[0])
        if dims is not None and (len(dims) != 4 or dims[2] != 1):
            problems.append(
                Problem(real_inputs[0].name, "graph io", f"input shape {dims}; want (1, C, 1, T)")
            )
    for node in g.node:
        name = node.name or node.output[0]
        if node.op_type not in ALLOWED_OPS:
            why = KNOWN_REFUSED.get(node.op_type) or POLICY_REFUSED.get(
                node.op_type, "op not on the Hailo allow-list"
            )
            problems.append(Problem(name, node.op_type, f"{why}; allowed: {sorted(ALLOWED_OPS)}"))
            continue
        a = _attrs(node)
        if node.op_type == "Conv":
            k = list(a.get("kernel_shape", []))
            if not k and node.input[1] in consts:
                k = list(consts[node.input[1]].shape[2:])
            if len(k) != 2 or k[0] != 1:
                problems.append(
                    Problem(
                        name,
                        "Conv",
                        f"kernel {k}: need a 2-D kernel (1, k) (a 1-D Conv is not parsed reliably)",
                    )
                )
            if a.get("group", 1) != 1:
                problems.append(Problem(name, "Conv", f"group {a['group']} (need 1)"))
            if any(s != 1 for s in a.get("strides", [1, 1])):
                problems.append(Problem(name, "Conv", f"strides {a['strides']} (need 1)"))
            if len(node.input) > 1 and node.input[1] not in consts:
                problems.append(Problem(name, "Conv", "weights are not a constant initializer"))
        elif node.op_type == "Pad":
            if a.get("mode", b"constant") not in (b"constant", "constant"):
                problems.append(Problem(name, "Pad", f"mode {a['mode']!r} (need constant)"))
            pads_name = node.input[1] if len(node.input) > 1 else None
            pads = consts.get(pads_name) if pads_name else np.asarray(a.get("pads", []))
            if pads is None:
                problems.append(
                    Problem(name, "Pad", "pads are computed at run time (need a constant)")
                )
            elif len(pads) == 8 and any(int(pads[i]) for i in (0, 1, 4, 5)):
                problems.append(Problem(name, "Pad", f"pads {list(pads)} touch batch/channel axes"))
            if len(node.input) > 2 and node.input[2]:
                val = consts.get(node.input[2])
                if val is None or float(np.asarray(val).reshape(-1)[0]) != 0.0:
                    problems.append(Problem(name, "Pad", "pad value is not a constant 0"))
    return problems


def check_onnx(path: str | Path) -> None:
    """Raise CompatError naming every offending node; return None when the file passes."""
    p = Path(path)
    if not p.is_file():
        raise OnnxMissingError(f"{p}: no such file")
    try:
        model = onnx.load(str(p))
    except OSError as exc:
        raise OnnxMissingError(f"{p}: cannot read ({exc.strerror})") from exc
    except Exception as exc:  # protobuf DecodeError and friends: not a ModelProto
        raise NotOnnxError(f"{p}: not an ONNX model ({type(exc).__name__})") from exc
    if not model.HasField("graph") or not model.graph.node:
        raise NotOnnxError(f"{p}: not an ONNX model (no graph)")
    problems = check_model(model)
    if problems:
        lines = "\n  ".join(str(x) for x in problems)
        raise CompatError(
            f"{p} is not Hailo-parser-friendly ({len(problems)} problem(s)):\n  {lines}\n"
            "Rewrite the model (Conv2d (1,k), left Pad, GlobalAveragePool, 1x1 Conv head; "
            "reshape/normalize/score on the host) or cut the tail with end_node_names."
        )

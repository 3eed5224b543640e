"""What the fake parser refuses, modelled on what Hailo's parser is reported to refuse.

Kept independent of the project's own check (`edge_compiler.compat`): a fake models the real
tool, so it must not import the code it is meant to judge. tests/compiler/test_refused_ops.py
proves the two agree on every op below.

Sources (each entry names its own):
- [mz98] hailo-ai/hailo_model_zoo#98 "Dataflow compiler layer type support" (2024-06): a user
  reports Transpose, Reshape and Squeeze "currently not supported" by the parser; the Hailo
  maintainer (nadaved1) answers that not all ops are supported because they are inefficient on
  the hardware: simplify the graph or run the tail off-chip (cut with end_node_names).
- [ace364] hailo-ai/Hailo-Application-Code-Examples#364 and [fpo44] ankandrew/fast-plate-ocr#44
  (DFC tracebacks): `UnsupportedShuffleLayerError in op .../Reshape_1: Failed to determine type
  of layer to create`, also for the reshapes the parser puts around a MatMul on a rank > 2
  tensor (`.../MatMul_pre_reshape`, `.../MatMul_post_reshape`).
- [community] community.hailo.ai "Handling Unsupported Operations with ONNXRuntime": an op the
  DFC cannot parse is cropped off with end_node_names and run with ONNX Runtime.
- [ref2] /work/shared/reference/hailo.md section 2 (user reports on real DFC 3.32 / Hailo-8L):
  `Flatten -> FC` raised UnsupportedShuffleLayerError; `torch.mean` + reshape + Linear failed at
  parse ("Invalid kernel shape"); a native Conv1d timed out at compile or had its channel count
  misread as the window length (use Conv2d with kernel (1, k)); `ReplicationPad1d` was silently
  turned into zero padding.
Where the real parser only degrades silently (non-constant Pad) or fails later (Conv1d at
compile), this fake refuses at parse time: a fake must be at least as strict as the real tool.
"""

from __future__ import annotations

import onnx

# op -> (the exception class name the real parser reports, why, source)
# Only ops a source shows the real parser refusing as such. Reshape, Slice and MatMul are NOT
# here: the sources show some of them failing in particular graphs (ace364: one Reshape; fpo44:
# the reshapes around a MatMul on a rank > 2 tensor; community: cropping in general) while the
# parser takes others, so refusing them is the project's policy (edge_compiler.compat
# POLICY_REFUSED, said to be policy in check-onnx) and must not be dressed as a parser error
# here. The fake parser still cannot emulate them: it refuses them as its own limitation
# ("not supported by this fake parser", _net.py SUPPORTED_OPS), never with a real error class.
REFUSED_OPS: dict[str, tuple[str, str, str]] = {
    "Flatten": ("UnsupportedShuffleLayerError", "Flatten -> FC is a shuffle layer", "ref2"),
    "Squeeze": ("UnsupportedShuffleLayerError", "shuffle op not supported", "mz98"),
    "Unsqueeze": ("UnsupportedShuffleLayerError", "shuffle op not supported", "mz98"),
    "Transpose": ("UnsupportedShuffleLayerError", "shuffle op not supported", "mz98"),
}
SOURCES: dict[str, str] = {
    "mz98": "github.com/hailo-ai/hailo_model_zoo/issues/98",
    "ref2": "shared/reference/hailo.md section 2 (user reports, DFC 3.32)",
}


def refusal(node: onnx.NodeProto, initializers: dict[str, onnx.TensorProto]) -> str | None:
    """Why the parser refuses this node (None: it takes it)."""
    name = node.name or node.output[0]
    if node.op_type in REFUSED_OPS:
        kind, why, src = REFUSED_OPS[node.op_type]
        return f"{kind} in op {name}: {node.op_type}: {why} [{SOURCES[src]}]"
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "Conv":
        kernel = list(attrs.get("kernel_shape", []))
        if not kernel and len(node.input) > 1 and node.input[1] in initializers:
            kernel = list(initializers[node.input[1]].dims[2:])
        if len(kernel) != 2:
            return (
                f"UnsupportedConvError in op {name}: a {len(kernel)}-D convolution (kernel "
                f"{kernel}); use Conv2d with kernel (1, k) [{SOURCES['ref2']}]"
            )
    if node.op_type == "Pad":
        mode = attrs.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode != "constant":
            return (
                f"UnsupportedPaddingError in op {name}: Pad mode {mode!r} (the real parser turns "
                f"it into zero padding, changing the result) [{SOURCES['ref2']}]"
            )
    return None

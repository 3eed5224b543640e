"""PyTorch encoder -> the two ONNX files of an artifact (legacy TorchScript exporter)."""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import torch
from edge_models.config import ExportConfig
from edge_models.tcn import TCNEncoder
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator


def export_onnx(model: TCNEncoder, cfg: ExportConfig, dynamic_batch: bool) -> bytes:
    """ONNX bytes of `model` on input (N, C, 1, T): batch 1 static, or a dynamic batch axis.

    dynamo=False (the TorchScript exporter) at the opset of export_config (11). The exporter
    writes each ZeroPad2d as a Pad whose `pads` input is computed by a small constant subgraph
    (ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast); `fold_constants` evaluates those so
    the graph is Pad(constant pads initializer) -> Conv, the form the Hailo parser takes.
    Byte-reproducible for identical weights.
    """
    model = model.eval()
    x = torch.zeros(1, cfg.n_channels, 1, cfg.window)
    buf = io.BytesIO()
    dyn = None
    if dynamic_batch:
        dyn = {cfg.accel_input_name: {0: "batch"}, cfg.output_name: {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            buf,
            dynamo=False,
            opset_version=cfg.opset,
            input_names=[cfg.accel_input_name],
            output_names=[cfg.output_name],
            dynamic_axes=dyn,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    proto = fold_constants(onnx.load_from_string(buf.getvalue()))
    out = proto.graph.output[0].type.tensor_type.shape
    del out.dim[:]
    out.dim.add().dim_param = "batch" if dynamic_batch else ""
    if not dynamic_batch:
        out.dim[0].dim_value = 1
    for d in (cfg.latent_dim, 1, 1):
        out.dim.add().dim_value = d
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


def fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace every node whose inputs are all constants by initializers (evaluated in numpy).

    Only value-independent subgraphs fold (Constant, shape arithmetic on constants); nodes fed
    by the graph input are kept. Unused initializers are dropped afterwards.
    """
    g = model.graph
    const: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    weights = set(const)
    opset = [helper.make_opsetid(o.domain, o.version) for o in model.opset_import]
    kept = []
    for node in g.node:
        if all(i == "" or i in const for i in node.input):
            sub = helper.make_model(
                helper.make_graph(
                    [node],
                    "fold",
                    [],
                    [
                        helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None)
                        for o in node.output
                    ],
                    [numpy_helper.from_array(const[i], i) for i in node.input if i],
                ),
                opset_imports=opset,
            )
            for name, val in zip(node.output, ReferenceEvaluator(sub).run(None, {})):
                const[name] = np.asarray(val)
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input} | {o.name for o in g.output}
    del g.node[:]
    g.node.extend(kept)
    new_inits = [
        numpy_helper.from_array(const[k], k) for k in const if k in used and k not in weights
    ]
    old = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(old + new_inits)
    del g.value_info[:]
    return model

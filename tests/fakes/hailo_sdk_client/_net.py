"""Parsing (translate) and the quantization emulator of the fake DFC.

The emulator runs the translated ONNX with ONNX Runtime and models the quantized chip:
per-tensor symmetric weights (4/8/16 bit by precision mode), per-tensor asymmetric activations
calibrated by min/max over the calibration set at every layer output (8 bit, or 16 bit where
the model script asks for a16_w16), an input quantized over its calibrated range (so a raw,
un-normalized input whose channels span very different ranges loses precision, as on the
chip), the `normalization` layer in float, and the output at the output layer's precision.
The figures it yields are realistic, not identical to PyTorch; they are NOT Hailo's numbers.
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from ._refused import refusal
from .exceptions import ParsingError, UnsupportedOperationError

# Ops this fake's parser takes (a subset of what the Hailo parser supports; what it refuses
# and why, with sources, is in _refused.py).
LAYER_OPS = {
    "Conv": "conv",
    "Gemm": "fc",
    "Add": "ew_add",
    "Sub": "ew_sub",
    "Mul": "ew_mult",
    "GlobalAveragePool": "avgpool",
    "AveragePool": "avgpool",
    "MaxPool": "maxpool",
    "Concat": "concat",
    "BatchNormalization": "batch_norm",
    "ReduceMean": "reduce_mean",
}
ACTIVATION_OPS = {"Relu", "LeakyRelu", "Sigmoid", "Clip", "Tanh"}
SHAPE_OPS = {"Pad", "Identity", "Constant"}
SUPPORTED_OPS = set(LAYER_OPS) | ACTIVATION_OPS | SHAPE_OPS


@dataclass
class Layer:
    name: str  # e.g. conv3 (the net scope is added by callers: <net>/conv3)
    kind: str
    nodes: list[str]
    output: str  # ONNX tensor after any fused activation
    weight: str | None = None  # initializer name of the kernel


@dataclass
class Translated:
    net_name: str
    model: onnx.ModelProto  # sub-graph start..end, batch axis made symbolic
    input_name: str
    output_name: str
    input_nchw: tuple[int, int, int, int]
    output_shape: tuple[int, ...]  # without batch, ONNX layout
    layers: list[Layer] = field(default_factory=list)

    @property
    def input_hwc(self) -> tuple[int, int, int]:
        _, c, h, w = self.input_nchw
        return (h, w, c)

    def layer_names(self) -> list[str]:
        return ["input_layer1"] + [la.name for la in self.layers] + ["output_layer1"]

    def hn(self) -> dict:
        """A small stand-in for the HN (Hailo network) description."""
        return {
            "name": self.net_name,
            "layers": {
                f"{self.net_name}/{n}": {"type": k}
                for n, k in [("input_layer1", "input_layer")]
                + [(la.name, la.kind) for la in self.layers]
                + [("output_layer1", "output_layer")]
            },
        }


def _static_dims(vi: onnx.ValueInfoProto) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]


def translate(
    onnx_path: str | Path,
    net_name: str,
    start_node_names: list[str] | None,
    end_node_names: list[str] | None,
    net_input_shapes: dict[str, list[int]] | None,
) -> Translated:
    p = Path(onnx_path)
    if not p.is_file():
        raise ParsingError(f"ONNX model {p} not found")
    try:
        model = onnx.load(str(p))
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ParsingError(f"{p} is not a valid ONNX model: {exc}") from exc
    g = model.graph
    inits = {i.name for i in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    if len(inputs) != 1:
        raise ParsingError(f"this fake handles single-input models; {p} has {len(inputs)}")
    gin = inputs[0]
    nodes_by_name = {n.name: n for n in g.node}

    # start node: the graph input's name, or a node that reads the graph input
    start = list(start_node_names or [gin.name])
    if len(start) != 1:
        raise ParsingError("this fake handles exactly one start node")
    s = start[0]
    if s != gin.name and not (s in nodes_by_name and gin.name in nodes_by_name[s].input):
        raise ParsingError(
            f"start node {s!r} is neither the graph input ({gin.name!r}) nor a node reading it"
        )

    # end nodes: node names (not tensor names), as the parser takes them
    if end_node_names is None:
        if len(g.output) != 1:
            raise ParsingError("give end_node_names for a model with several outputs")
        producers = [n for n in g.node if g.output[0].name in n.output]
        end_node_names = [producers[0].name]
    if len(end_node_names) != 1:
        raise ParsingError("this fake handles exactly one end node")
    e = end_node_names[0]
    if e not in nodes_by_name:
        raise ParsingError(
            f"end node {e!r} is not a node of {p.name} (end_node_names take ONNX node names, "
            f"e.g. {g.node[-1].name!r})"
        )
    out_tensor = nodes_by_name[e].output[0]

    dims = _static_dims(gin)
    if len(dims) != 4 or any(d is None for d in dims):
        raise ParsingError(
            f"input {gin.name!r} has shape {dims}: the parser wants a static rank-4 NCHW input "
            "(rewrite 1D models as (N, C, 1, T))"
        )
    if net_input_shapes is not None:
        unknown = set(net_input_shapes) - {gin.name, s}
        if unknown:
            raise ParsingError(f"net_input_shapes names unknown inputs {sorted(unknown)}")
        for name, shape in net_input_shapes.items():
            if list(shape) != list(dims):
                raise ParsingError(
                    f"net_input_shapes[{name!r}] = {list(shape)} does not match the model's "
                    f"input shape {dims} (NCHW, batch 1)"
                )
    if dims[0] != 1:
        raise ParsingError(f"input batch must be 1, got {dims[0]}")

    # keep only the nodes between start and end
    needed: set[str] = {out_tensor}
    keep: list[onnx.NodeProto] = []
    for n in reversed(list(g.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    keep.reverse()
    init_protos = {i.name: i for i in g.initializer}
    refused = [r for r in (refusal(n, init_protos) for n in keep) if r]
    if refused:
        raise UnsupportedOperationError(
            "Parsing failed. The errors found in the graph are:\n " + "\n ".join(refused)
        )
    for n in keep:
        if n.op_type not in SUPPORTED_OPS:
            raise UnsupportedOperationError(
                f"node {n.name!r}: op {n.op_type} is not supported by this fake parser "
                f"(supported: {', '.join(sorted(SUPPORTED_OPS))})"
            )

    sub = copy.deepcopy(model)
    del sub.graph.node[:]
    sub.graph.node.extend(keep)
    del sub.graph.output[:]
    used = {i for n in keep for i in n.input}
    kept_inits = [i for i in model.graph.initializer if i.name in used]
    del sub.graph.initializer[:]
    sub.graph.initializer.extend(kept_inits)
    del sub.graph.value_info[:]
    del sub.graph.input[:]
    new_in = copy.deepcopy(gin)
    new_in.type.tensor_type.shape.dim[0].ClearField("dim_value")
    new_in.type.tensor_type.shape.dim[0].dim_param = "N"
    sub.graph.input.append(new_in)
    sub.graph.output.append(helper.make_tensor_value_info(out_tensor, TensorProto.FLOAT, None))

    # output shape by a float run on zeros
    sess = _session(sub)
    y = sess.run([out_tensor], {gin.name: np.zeros((1, *dims[1:]), np.float32)})[0]

    t = Translated(
        net_name=net_name,
        model=sub,
        input_name=gin.name,
        output_name=out_tensor,
        input_nchw=tuple(dims),  # type: ignore[arg-type]
        output_shape=tuple(y.shape[1:]),
    )
    t.layers = _layers(keep, inits)
    return t


def _layers(nodes: list[onnx.NodeProto], inits: set[str]) -> list[Layer]:
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    counts: dict[str, int] = {}
    layers: list[Layer] = []
    fused: set[str] = set()
    for n in nodes:
        if n.name in fused:
            continue
        kind = LAYER_OPS.get(n.op_type)
        if kind is None and n.op_type in ACTIVATION_OPS:
            kind = "activation"
        if kind is None:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        out = n.output[0]
        members = [n.name]
        nxt = consumers.get(out, [])
        if kind != "activation" and len(nxt) == 1 and nxt[0].op_type in ACTIVATION_OPS:
            fused.add(nxt[0].name)
            members.append(nxt[0].name)
            out = nxt[0].output[0]
        weight = None
        if n.op_type in ("Conv", "Gemm") and len(n.input) > 1 and n.input[1] in inits:
            weight = n.input[1]
        layers.append(Layer(f"{kind}{counts[kind]}", kind, members, out, weight))
    return layers


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(
        model.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"]
    )


# ---------------------------------------------------------------------------------------------
# precision modes -> bits
def act_bits(mode: str) -> int:
    return 16 if mode in ("a16_w16",) else 8


def weight_bits(mode: str) -> int:
    return {"a8_w8": 8, "a8_w4": 4, "a16_w16": 16, "a8_w8_a16": 8}[mode]


def out_bits(mode: str) -> int:
    return 16 if mode in ("a16_w16", "a8_w8_a16") else 8


@dataclass
class QParam:
    scale: float
    zp: int
    bits: int

    @classmethod
    def from_range(cls, lo: float, hi: float, bits: int) -> QParam:
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
        qmax = (1 << bits) - 1
        scale = (hi - lo) / qmax if hi > lo else 1.0
        zp = round(-lo / scale)
        return cls(scale, min(max(zp, 0), qmax), bits)

    def fake(self, x: np.ndarray) -> np.ndarray:
        qmax = (1 << self.bits) - 1
        q = np.clip(np.round(x / self.scale) + self.zp, 0, qmax)
        return ((q - self.zp) * self.scale).astype(np.float32)

    def as_dict(self) -> dict:
        return {"qp_scale": self.scale, "qp_zp": self.zp, "bits": self.bits}


def fake_weight(w: np.ndarray, bits: int) -> np.ndarray:
    qmax = (1 << (bits - 1)) - 1
    amax = float(np.max(np.abs(w))) or 1.0
    s = amax / qmax
    return (np.clip(np.round(w / s), -qmax, qmax) * s).astype(np.float32)


def _fq_nodes(src: str, dst: str, qp: QParam, tag: str) -> tuple[list, list]:
    """ONNX nodes dst = (clip(round(src/s) + zp, 0, qmax) - zp) * s (opset >= 11)."""
    qmax = float((1 << qp.bits) - 1)
    c = {
        "s": np.array(qp.scale, np.float32),
        "zp": np.array(float(qp.zp), np.float32),
        "lo": np.array(0.0, np.float32),
        "hi": np.array(qmax, np.float32),
    }
    inits = [numpy_helper.from_array(v, f"{tag}_{k}") for k, v in c.items()]
    nodes = [
        helper.make_node("Div", [src, f"{tag}_s"], [f"{tag}_a"]),
        helper.make_node("Round", [f"{tag}_a"], [f"{tag}_b"]),
        helper.make_node("Add", [f"{tag}_b", f"{tag}_zp"], [f"{tag}_c"]),
        helper.make_node("Clip", [f"{tag}_c", f"{tag}_lo", f"{tag}_hi"], [f"{tag}_d"]),
        helper.make_node("Sub", [f"{tag}_d", f"{tag}_zp"], [f"{tag}_e"]),
        helper.make_node("Mul", [f"{tag}_e", f"{tag}_s"], [dst]),
    ]
    return nodes, inits


@dataclass
class Emulator:
    """Runs the network on NHWC input: input quant -> normalization -> ONNX -> output quant."""

    model_bytes: bytes
    input_name: str
    output_name: str
    input_hwc: tuple[int, int, int]
    normalization: tuple[list[float], list[float]] | None = None
    input_q: QParam | None = None
    output_q: QParam | None = None
    _sess: ort.InferenceSession | None = field(default=None, repr=False)

    def run(self, x_nhwc: np.ndarray, batch: int = 256) -> np.ndarray:
        if self._sess is None:
            self._sess = _session(onnx.load_from_string(self.model_bytes))
        x = np.asarray(x_nhwc, np.float32)
        if self.input_q is not None:
            x = self.input_q.fake(x)
        if self.normalization is not None:
            mean, std = (np.asarray(v, np.float32) for v in self.normalization)
            x = (x - mean) / std
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # NHWC -> NCHW for ONNX Runtime
        outs = [
            self._sess.run([self.output_name], {self.input_name: x[i : i + batch]})[0]
            for i in range(0, len(x), batch)
        ]
        y = np.concatenate(outs, axis=0)
        if self.output_q is not None:
            y = self.output_q.fake(y)
        if y.ndim == 4:
            y = y.transpose(0, 2, 3, 1)  # NCHW -> NHWC, as the chip returns it
        return np.ascontiguousarray(y, np.float32)

    def to_bytes(self) -> bytes:
        meta = {
            "input_name": self.input_name,
            "output_name": self.output_name,
            "input_hwc": list(self.input_hwc),
            "normalization": self.normalization,
            "input_q": self.input_q.as_dict() if self.input_q else None,
            "output_q": self.output_q.as_dict() if self.output_q else None,
        }
        buf = io.BytesIO()
        np.savez(
            buf,
            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
            model=np.frombuffer(self.model_bytes, np.uint8),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Emulator:
        z = np.load(io.BytesIO(data))
        meta = json.loads(z["meta"].tobytes().decode())

        def qp(d: dict | None) -> QParam | None:
            return QParam(d["qp_scale"], d["qp_zp"], d["bits"]) if d else None

        norm = meta["normalization"]
        return cls(
            model_bytes=z["model"].tobytes(),
            input_name=meta["input_name"],
            output_name=meta["output_name"],
            input_hwc=tuple(meta["input_hwc"]),  # type: ignore[arg-type]
            normalization=(norm[0], norm[1]) if norm else None,
            input_q=qp(meta["input_q"]),
            output_q=qp(meta["output_q"]),
        )


def float_emulator(t: Translated, normalization: tuple | None) -> Emulator:
    return Emulator(
        t.model.SerializeToString(), t.input_name, t.output_name, t.input_hwc, normalization
    )


def quantize(
    t: Translated,
    calib_nhwc: np.ndarray,
    normalization: tuple[list[float], list[float]] | None,
    precision: dict[str, str],
) -> Emulator:
    """Calibrate ranges (min/max) on the calibration set and build the quantized emulator."""
    in_mode = precision.get("input_layer1", "a8_w8")
    out_mode = precision.get("output_layer1", "a8_w8")
    input_q = QParam.from_range(calib_nhwc.min(), calib_nhwc.max(), act_bits(in_mode))

    # ranges of every layer output on the float (fp-optimized) network
    probe = copy.deepcopy(t.model)
    points = [la for la in t.layers if la.output != t.output_name]
    for la in points:
        probe.graph.output.append(helper.make_tensor_value_info(la.output, TensorProto.FLOAT, None))
    sess = _session(probe)
    names = [t.output_name] + [la.output for la in points]
    lo = np.full(len(names), np.inf)
    hi = np.full(len(names), -np.inf)
    x = input_q.fake(calib_nhwc)
    if normalization is not None:
        x = (x - np.asarray(normalization[0], np.float32)) / np.asarray(
            normalization[1], np.float32
        )
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2), np.float32)
    for i in range(0, len(x), 128):
        outs = sess.run(names, {t.input_name: x[i : i + 128]})
        lo = np.minimum(lo, [float(o.min()) for o in outs])
        hi = np.maximum(hi, [float(o.max()) for o in outs])

    q = copy.deepcopy(t.model)
    inits = {i.name: i for i in q.graph.initializer}
    for la in t.layers:
        mode = precision.get(la.name, "a8_w8")
        if la.weight is not None:
            w = numpy_helper.to_array(inits[la.weight])
            inits[la.weight].CopyFrom(
                numpy_helper.from_array(fake_weight(w, weight_bits(mode)), la.weight)
            )
    new_nodes: list = []
    new_inits: list = []
    for k, la in enumerate(points):
        qp = QParam.from_range(lo[k + 1], hi[k + 1], act_bits(precision.get(la.name, "a8_w8")))
        dst = f"{la.output}__q"
        for n in q.graph.node:
            for j, name in enumerate(n.input):
                if name == la.output:
                    n.input[j] = dst
        nodes, ci = _fq_nodes(la.output, dst, qp, f"fq{k}")
        new_nodes.append((la.output, nodes))
        new_inits.extend(ci)
    # insert each fake-quant chain right after its producer (keeps topological order)
    ordered: list = []
    pending = dict(new_nodes)
    for n in q.graph.node:
        ordered.append(n)
        for o in n.output:
            if o in pending:
                ordered.extend(pending.pop(o))
    del q.graph.node[:]
    q.graph.node.extend(ordered)
    q.graph.initializer.extend(new_inits)

    last = next((la for la in t.layers if la.output == t.output_name), None)
    bits = out_bits(out_mode)
    if last is not None:
        bits = max(bits, act_bits(precision.get(last.name, "a8_w8")))
    output_q = QParam.from_range(lo[0], hi[0], bits)
    return Emulator(
        q.SerializeToString(),
        t.input_name,
        t.output_name,
        t.input_hwc,
        normalization,
        input_q,
        output_q,
    )

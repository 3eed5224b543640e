"""`ClientRunner` of the fake DFC: the documented flow, with its order and layouts enforced.

r = ClientRunner(hw_arch="hailo8")                       # or ClientRunner(har=path)
r.translate_onnx_model(onnx_path, net_name, start_node_names=[...],
                       end_node_names=[...], net_input_shapes={name: [1, C, H, W]})
r.load_model_script(text_or_path)                        # before optimize
r.optimize(calib_nhwc_float32)                           # (N, H, W, C), N >= calibset size
hef = r.compile()                                        # only after optimize
with r.infer_context(InferenceContext.SDK_QUANTIZED) as ctx:
    y = r.infer(ctx, x_nhwc)                             # (N, H', W', C') float32
r.save_har(path)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx

from . import _net, _script, fake_hef
from .exceptions import (
    CalibrationDataError,
    InferenceError,
    InvalidStateError,
    ModelScriptError,
)
from .exposed_definitions import SUPPORTED_HW_ARCHS, InferenceContext, States

# The fake DFC's version: FAKE_DFC_VERSION (read at import; e.g. the DFC paired with the fleet's
# HailoRT, as tests/daemon/conftest.py builds its HEF), else 3.33, Hailo's DFC for HailoRT 4.23.
VERSION = os.environ.get("FAKE_DFC_VERSION") or "3.33.0+fake"
DEFAULT_CALIBSET_SIZE = 1024  # Hailo recommends >= 1024 calibration samples (hailo.md)


class _Context:
    def __init__(self, runner: ClientRunner, kind: InferenceContext) -> None:
        self.runner = runner
        self.kind = kind
        self.open = True


class ClientRunner:
    def __init__(self, hw_arch: str | None = None, har: str | Path | None = None) -> None:
        self._state = States.UNINITIALIZED
        self._t: _net.Translated | None = None
        self._script_text = ""
        self._fx = _script.ScriptEffects()
        self._emu_q: _net.Emulator | None = None
        self._hef: bytes | None = None
        if har is not None:
            self._load_har(Path(har), hw_arch)
            return
        if hw_arch not in SUPPORTED_HW_ARCHS:
            raise ValueError(
                f"hw_arch must be one of {', '.join(SUPPORTED_HW_ARCHS)}, got {hw_arch!r}"
            )
        self._hw_arch = hw_arch

    # -- properties -------------------------------------------------------------------------
    @property
    def hw_arch(self) -> str:
        return self._hw_arch

    @property
    def state(self) -> States:
        return self._state

    @property
    def model_script(self) -> str:
        return self._script_text

    def _need(self, *states: States, what: str) -> None:
        if self._state not in states:
            raise InvalidStateError(
                f"{what} is not allowed in state {self._state.value}; it needs "
                f"{' or '.join(s.value for s in states)} (order: translate_onnx_model -> "
                "load_model_script -> optimize -> compile)"
            )

    # -- translate ---------------------------------------------------------------------------
    def translate_onnx_model(
        self,
        model: str | Path,
        net_name: str = "model",
        start_node_names: list[str] | None = None,
        end_node_names: list[str] | None = None,
        net_input_shapes: dict[str, list[int]] | None = None,
        **kwargs: object,
    ) -> tuple[dict, dict]:
        self._need(States.UNINITIALIZED, what="translate_onnx_model")
        unknown = set(kwargs) - {
            "augmented_path",
            "disable_shape_inference",
            "disable_rt_metadata_extraction",
            "net_input_format",
        }
        if unknown:
            raise TypeError(f"translate_onnx_model() got unexpected arguments {sorted(unknown)}")
        if not isinstance(net_name, str) or not net_name.replace("_", "").isalnum():
            raise ValueError(f"net_name must be an identifier, got {net_name!r}")
        self._t = _net.translate(
            model, net_name, start_node_names, end_node_names, net_input_shapes
        )
        self._state = States.HAILO_MODEL
        return self._t.hn(), {"params": "fake"}

    # -- model script ------------------------------------------------------------------------
    def load_model_script(
        self, model_script: str | Path | None = None, append: bool = False
    ) -> None:
        self._need(States.HAILO_MODEL, what="load_model_script")
        assert self._t is not None
        if model_script is None:
            raise ModelScriptError("load_model_script() needs the script text or a .alls path")
        text = str(model_script)
        if isinstance(model_script, Path) or (text.endswith(".alls") and "\n" not in text):
            p = Path(text)
            if not p.is_file():
                raise ModelScriptError(f"model script {p} not found")
            text = p.read_text()
        full = (self._script_text + "\n" + text) if append else text
        parsed = _script.parse(full)
        self._fx = _script.validate(
            parsed, self._t.layer_names(), self._t.net_name, self._t.input_hwc[2]
        )
        self._script_text = full

    # -- optimize ----------------------------------------------------------------------------
    def _calib_array(self, calib_data: object) -> np.ndarray:
        assert self._t is not None
        key = f"{self._t.net_name}/input_layer1"
        if isinstance(calib_data, (str, Path)):
            calib_data = np.load(str(calib_data))
        if isinstance(calib_data, dict):
            if set(calib_data) != {key}:
                raise CalibrationDataError(
                    f"calibration dict keys {sorted(calib_data)} != [{key!r}]"
                )
            calib_data = calib_data[key]
        if not isinstance(calib_data, np.ndarray):
            raise CalibrationDataError(
                f"calibration data must be a numpy array (or dict/path), got {type(calib_data)}"
            )
        if calib_data.dtype != np.float32:
            raise CalibrationDataError(f"calibration data must be float32, got {calib_data.dtype}")
        want = self._t.input_hwc
        if calib_data.ndim != 4 or tuple(calib_data.shape[1:]) != want:
            hint = ""
            _, c, h, w = self._t.input_nchw
            if calib_data.ndim == 4 and tuple(calib_data.shape[1:]) == (c, h, w):
                hint = " (this looks like NCHW: the DFC wants NHWC)"
            raise CalibrationDataError(
                f"calibration data shape {calib_data.shape} does not match the input layer: "
                f"want (N, {want[0]}, {want[1]}, {want[2]}) NHWC{hint}"
            )
        need = self._fx.calibset_size or DEFAULT_CALIBSET_SIZE
        if calib_data.shape[0] < need:
            raise CalibrationDataError(
                f"calibration set has {calib_data.shape[0]} samples; the calibset size is "
                f"{need} (model_optimization_config(calibration, calibset_size=...))"
            )
        if not np.all(np.isfinite(calib_data)):
            raise CalibrationDataError("calibration data holds NaN or inf")
        return calib_data

    def optimize_full_precision(self, calib_data: object = None) -> None:
        self._need(States.HAILO_MODEL, what="optimize_full_precision")
        if calib_data is not None:
            self._calib_array(calib_data)
        self._state = States.FP_OPTIMIZED_MODEL

    def optimize(self, calib_data: object, data_type: object = None) -> None:
        self._need(States.HAILO_MODEL, States.FP_OPTIMIZED_MODEL, what="optimize")
        assert self._t is not None
        calib = self._calib_array(calib_data)
        n = self._fx.calibset_size or DEFAULT_CALIBSET_SIZE
        self._emu_q = _net.quantize(self._t, calib[:n], self._fx.normalization, self._fx.precision)
        self._state = States.QUANTIZED_MODEL

    # -- compile -----------------------------------------------------------------------------
    def compile(self) -> bytes:
        self._need(States.QUANTIZED_MODEL, what="compile")
        assert self._t is not None and self._emu_q is not None
        t = self._t
        oshape = list(t.output_shape)
        if len(oshape) == 3:  # (C, H, W) -> (H, W, C)
            oshape = [oshape[1], oshape[2], oshape[0]]
        last = t.layers[-1].name if t.layers else "output_layer1"
        header = {
            "format": "edge-fake-hef/1",
            "warning": "FAKE HEF from tests/fakes/hailo_sdk_client: not for a Hailo device",
            "hw_arch": self._hw_arch,
            "dfc_version": VERSION,
            "hef_header_version": fake_hef.header_version_for(VERSION),
            "network_group_names": [t.net_name],
            "normalization_on_chip": self._fx.normalization is not None,
            "inputs": [
                {
                    "name": f"{t.net_name}/input_layer1",
                    "shape": list(t.input_hwc),
                    "order": "NHWC",
                    "quant_info": self._emu_q.input_q.as_dict() if self._emu_q.input_q else None,
                }
            ],
            "outputs": [
                {
                    "name": f"{t.net_name}/{last}",
                    "shape": oshape,
                    "order": "NHWC",
                    "quant_info": self._emu_q.output_q.as_dict() if self._emu_q.output_q else None,
                }
            ],
        }
        self._hef = fake_hef.dump(header, self._emu_q)
        self._state = States.COMPILED_MODEL
        return self._hef

    # -- inference ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def infer_context(self, inference_context: InferenceContext) -> Iterator[_Context]:
        kind = InferenceContext(inference_context)
        if kind == InferenceContext.SDK_HAILO_HW:
            raise InferenceError("SDK_HAILO_HW needs a Hailo device; the fake has none")
        if kind in (InferenceContext.SDK_QUANTIZED, InferenceContext.SDK_BIT_EXACT):
            self._need(States.QUANTIZED_MODEL, States.COMPILED_MODEL, what=f"{kind.name}")
        else:
            self._need(
                States.HAILO_MODEL,
                States.FP_OPTIMIZED_MODEL,
                States.QUANTIZED_MODEL,
                States.COMPILED_MODEL,
                what=f"{kind.name}",
            )
        ctx = _Context(self, kind)
        try:
            yield ctx
        finally:
            ctx.open = False

    def infer(
        self, context: _Context, dataset: object, batch_size: int = 8, data_count: int | None = None
    ) -> np.ndarray:
        if not isinstance(context, _Context) or context.runner is not self or not context.open:
            raise InferenceError("infer() needs an open context from this runner's infer_context()")
        assert self._t is not None
        key = f"{self._t.net_name}/input_layer1"
        if isinstance(dataset, dict):
            if set(dataset) != {key}:
                raise InferenceError(f"dataset keys {sorted(dataset)} != [{key!r}]")
            dataset = dataset[key]
        x = np.asarray(dataset)
        if x.ndim != 4 or tuple(x.shape[1:]) != self._t.input_hwc:
            raise InferenceError(
                f"dataset shape {x.shape} does not match the input layer: want "
                f"(N, {', '.join(map(str, self._t.input_hwc))}) NHWC"
            )
        if data_count is not None:
            x = x[:data_count]
        x = x.astype(np.float32)
        if context.kind == InferenceContext.SDK_NATIVE:
            return _net.float_emulator(self._t, None).run(x)
        if context.kind == InferenceContext.SDK_FP_OPTIMIZED:
            return _net.float_emulator(self._t, self._fx.normalization).run(x)
        assert self._emu_q is not None
        return self._emu_q.run(x)

    # -- HAR ---------------------------------------------------------------------------------
    def save_har(self, har_path: str | Path) -> None:
        self._need(
            States.HAILO_MODEL,
            States.FP_OPTIMIZED_MODEL,
            States.QUANTIZED_MODEL,
            States.COMPILED_MODEL,
            what="save_har",
        )
        assert self._t is not None
        t = self._t
        state = {
            "fake": True,
            "dfc_version": VERSION,
            "hef_header_version": fake_hef.header_version_for(VERSION),
            "hw_arch": self._hw_arch,
            "state": self._state.value,
            "net_name": t.net_name,
            "input_name": t.input_name,
            "output_name": t.output_name,
        }
        with zipfile.ZipFile(har_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("state.json", json.dumps(state, sort_keys=True))
            z.writestr("model.onnx", t.model.SerializeToString())
            z.writestr("model_script.alls", self._script_text)
            if self._emu_q is not None:
                z.writestr("quantized.bin", self._emu_q.to_bytes())
            if self._hef is not None:
                z.writestr("compiled.hef", self._hef)

    def _load_har(self, p: Path, hw_arch: str | None) -> None:
        with zipfile.ZipFile(p) as z:
            state = json.loads(z.read("state.json"))
            model_bytes = z.read("model.onnx")
            script = z.read("model_script.alls").decode()
            names = set(z.namelist())
            emu = (
                _net.Emulator.from_bytes(z.read("quantized.bin"))
                if "quantized.bin" in names
                else None
            )
            hef = z.read("compiled.hef") if "compiled.hef" in names else None
        self._hw_arch = hw_arch or state["hw_arch"]
        tmp = io.BytesIO(model_bytes)
        m = onnx.load(tmp)
        dims = [d.dim_value or 1 for d in m.graph.input[0].type.tensor_type.shape.dim]
        t = _net.Translated(
            state["net_name"], m, state["input_name"], state["output_name"], tuple(dims), ()
        )  # type: ignore[arg-type]
        consts = {i.name for i in m.graph.initializer}
        t.layers = _net._layers(list(m.graph.node), consts)
        self._t = t
        self._state = States(state["state"])
        if script:
            self._fx = _script.validate(
                _script.parse(script), t.layer_names(), t.net_name, t.input_hwc[2]
            )
            self._script_text = script
        self._emu_q = emu
        self._hef = hef

"""The fake classes (see __init__.py): VDevice, InferModel, ConfiguredInferModel, bindings."""

from __future__ import annotations

import enum
import os
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from . import _device
from . import _errors as E

_state = threading.Lock()
_open_vdevices: list[VDevice] = []


def _call(name: str) -> None:
    from . import CALLS

    CALLS.append(name)


def log_warning(msg: str) -> None:
    """HailoRT's LOGGER__WARNING: to stderr as the console sink prints it, and to LOG."""
    from . import LOG

    LOG.append(f"[HailoRT] [warning] {msg}")
    print(LOG[-1], file=sys.stderr, flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class HailoSchedulingAlgorithm(enum.IntEnum):
    NONE = 0
    ROUND_ROBIN = 1


class FormatType(enum.IntEnum):
    AUTO = 0
    UINT8 = 1
    UINT16 = 2
    FLOAT32 = 3


class FormatOrder(enum.IntEnum):
    AUTO = 0
    NHWC = 1
    NC = 2


class HailoStreamInterface(enum.IntEnum):
    PCIe = 0


def _classic(*_a: Any, **_k: Any) -> None:
    raise NotImplementedError("fake hailo_platform implements the InferModel API only")


class ConfigureParams:
    create_from_hef = staticmethod(_classic)


class InputVStreamParams:
    make = staticmethod(_classic)


class OutputVStreamParams:
    make = staticmethod(_classic)


class InferVStreams:
    def __init__(self, *_a: Any, **_k: Any) -> None:
        _classic()


def _load_hef(source: str | bytes) -> Any:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        from hailo_sdk_client import fake_hef  # the fake DFC's HEF format (tests/fakes)
    except ImportError as exc:  # pragma: no cover
        raise E.HailoRTInvalidHEFException("fake: hailo_sdk_client fake not importable") from exc
    if not fake_hef.is_fake(data):
        raise E.failed(26)
    refuse_unreadable(fake_hef.load_header(data))  # the header is read first, as in hef.cpp
    return fake_hef.load(data)


def refuse_unreadable(header: dict) -> None:
    """Raise what pyhailort raises for a HEF header this HailoRT (hailo_platform.__version__)
    cannot read."""
    from . import __version__

    runtime = _minor(__version__)
    # Status for a HEF this HailoRT cannot read: HAILO_INVALID_HEF (26) up to 4.20 (v4.20.0
    # hef.cpp Hef::Impl::parse_hef_file `default: return HAILO_INVALID_HEF`, and
    # validate_hef_extensions CHECK(..., HAILO_INVALID_HEF, ...); 4.20's hailort.h has no 92),
    # HAILO_HEF_NOT_SUPPORTED (92, "Make sure the DFC version is compatible") from 4.21 on (the
    # same two places). pyhailort raises 26 as HailoRTInvalidHEFException, 92 as a plain
    # HailoRTException (create_exception_from_status).
    refused = 26 if runtime <= (4, 20) else 92
    # The header version: parse_hef_file's switch reads HEADER_VERSION_0..N and refuses the rest
    # (N per tag: v4.19.0 1, v4.20.0 2, v4.21.0-v4.23.0 3).
    if int(header.get("hef_header_version", 0)) > _max_header(runtime):
        raise E.failed(refused)
    # A HEF from a newer DFC than this HailoRT's pair (hailo_model_zoo CHANGELOG: DFC 3.30 /
    # HailoRT 4.20 ... 3.33 / 4.23) carries extensions it does not know: validate_hef_extensions.
    dfc = _minor(str(header.get("dfc_version", "0.0")))
    if dfc > PAIRED_DFC.get(runtime, max(PAIRED_DFC.values())):
        raise E.failed(refused)


def _minor(version: str) -> tuple[int, int]:
    major, minor_ = [*str(version).split("+")[0].split("."), "0"][:2]
    return int(major), int(minor_)


def _max_header(runtime: tuple[int, int]) -> int:
    """The newest HEF header version HailoRT `runtime` reads (hef.cpp parse_hef_file, per tag)."""
    return 1 if runtime <= (4, 19) else 2 if runtime == (4, 20) else 3


# HailoRT major.minor -> the DFC major.minor Hailo ships with it (hailo_model_zoo CHANGELOG
# v2.13-v2.17); kept here, independent of edge_artifact/hailo_pairs.json, so a wrong table fails.
PAIRED_DFC = {(4, 19): (3, 29), (4, 20): (3, 30), (4, 21): (3, 31), (4, 22): (3, 32),
              (4, 23): (3, 33)}  # fmt: skip


class HEF:
    def __init__(self, hef_source: str | bytes) -> None:
        self._hef = _load_hef(hef_source)
        self.header = self._hef.header

    def get_network_group_names(self) -> list[str]:
        return list(self.header["network_group_names"])

    def get_sorted_output_names(self) -> list[str]:
        return [o["name"] for o in self.header["outputs"]]


class _Temp:
    def __init__(self) -> None:
        self.ts0_temperature = 51.5
        self.ts1_temperature = 52.25


class DeviceArchitectureTypes(enum.IntEnum):
    """pyhailort.py@v4.20.0 lines 1543-1553 (same at v4.23.0 lines 1597-1607): an IntEnum whose
    str() is the name, as BoardInformation.__str__ (and so `hailortcli fw-control identify`'s
    "Device Architecture: HAILO8L") prints it."""

    HAILO8_A0 = 0
    HAILO8 = 1
    HAILO8L = 2
    HAILO15H = 3
    HAILO15L = 4
    HAILO15M = 5
    HAILO10H = 6

    def __str__(self) -> str:
        return self.name


class _Control:
    def __init__(self, arch: str) -> None:
        self._arch = arch

    def identify(self) -> Any:
        # pyhailort.py@v4.20.0 Control.identify (line 2096): BoardInformation with
        # device_architecture = DeviceArchitectureTypes(int(response.device_architecture))
        arch = DeviceArchitectureTypes[self._arch]
        return type("BoardInformation", (), {"device_architecture": arch})()

    def get_chip_temperature(self) -> _Temp:
        return _Temp()


class Device:
    def __init__(self, device_id: str | None = None) -> None:
        # pyhailort.py Device.__init__ runs a full gc.collect() and opens the device
        # (_pyhailort.Device.create): not free, so the fake counts constructions.
        _call("Device")
        self.device_id = device_id or "0000:01:00.0"
        self.control = _Control(os.environ.get("FAKE_HAILO_ARCH", "HAILO8"))

    def release(self) -> None:
        _call("Device.release")

    @staticmethod
    def scan() -> list[str]:
        return [f"0000:0{i + 1}:00.0" for i in range(_env_int("FAKE_HAILO_DEVICES", 1))]


class VDeviceParams:
    def __init__(self) -> None:
        self.device_ids: list[str] | None = None
        self.device_count = 1
        self.scheduling_algorithm = HailoSchedulingAlgorithm.NONE  # the Python default
        self.group_id = "UNIQUE"
        self.multi_process_service = False


class VDevice:
    def __init__(self, params: VDeviceParams | None = None, *, device_ids: Any = None) -> None:
        _call("VDevice")
        from . import __version__

        self.params = params or VDeviceParams()
        if not isinstance(self.params, VDeviceParams):
            raise TypeError("params must come from VDevice.create_params()")
        if os.environ.get("FAKE_HAILO_DRIVER_VERSION", __version__) != __version__:
            raise E.failed(76)
        if not Device.scan():
            raise E.failed(61)
        self._group = str(self.params.group_id)
        self._service = bool(self.params.multi_process_service)
        self._held = self._open_device(__version__)  # see _device.py for the real behaviour
        self._pid = os.getpid()
        self._arch = os.environ.get("FAKE_HAILO_ARCH", "HAILO8")
        self._released = False
        self.runs = 0

    def _open_device(self, version: str) -> Any:
        """What keeps the device for this VDevice: a service connection or the device's lock
        (shared with the open VDevices of the same non-UNIQUE group in this process)."""
        if self._service:
            if self.params.scheduling_algorithm == HailoSchedulingAlgorithm.NONE:
                raise E.failed(2)  # vdevice.cpp VDevice::create: the service needs a scheduler
            held: Any = _device.ServiceVDevice(self._group, version)
            with _state:
                _open_vdevices.append(self)
            return held
        with _state:
            peer = self._peer()
            held = peer._held if peer is not None else _device.mark_as_used()  # 74 if held
            _open_vdevices.append(self)
        return held

    def _peer(self) -> VDevice | None:
        """An open VDevice of this process whose device this one shares (same group)."""
        if self._group == _device.UNIQUE:
            return None
        for v in _open_vdevices:
            if v is not self and not v._service and v._group == self._group:
                return v
        return None

    @staticmethod
    def create_params() -> VDeviceParams:
        return VDeviceParams()

    def __enter__(self) -> VDevice:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def release(self) -> None:
        _call("VDevice.release")
        with _state:
            if self in _open_vdevices:
                _open_vdevices.remove(self)
                if self._service:
                    self._held.release()  # the service frees the group's device with its last
                elif self._peer() is None:
                    self._held.close()  # the last VDevice on the lock: the device is free
        self._released = True

    def get_physical_devices_ids(self) -> list[str]:
        return Device.scan()[:1]

    def get_physical_devices(self) -> list[Device]:
        # pyhailort.py VDevice.get_physical_devices: a NEW Device(dev_id) per id on every call.
        return [Device(i) for i in self.get_physical_devices_ids()]

    def create_infer_model(self, hef_source: str | bytes, name: str = "") -> InferModel:
        _call("create_infer_model")
        if self._released:
            raise E.HailoRTException("VDevice was released")
        if os.getpid() != self._pid:
            raise E.HailoRTException("create_infer_model called from a PID other than the creator")
        return InferModel(self, _load_hef(hef_source))

    def check_hef_is_compatible(self, hef: Any) -> None:
        """Called by InferModel.configure(), where HailoRT checks the chip: infer_model.cpp
        InferModelBase::configure (v4.20.0 line 348) -> vdevice.cpp VDeviceBase::configure ->
        create_local_config_params (v4.20.0 line 849) -> device_internal.cpp
        DeviceBase::check_hef_is_compatible (lines 593-605; is_hef_compatible lines 716-722:
        a HAILO8 runs hailo8/hailo8r/hailo8l HEFs, a HAILO8L only hailo8l). The status differs
        per release: v4.20.0 line 604 `return HAILO_INVALID_HEF;` (26, the same status as a HEF
        from a newer DFC), v4.21.0 and v4.23.0 line 604 `return HAILO_HEF_NOT_COMPATIBLE_WITH_
        DEVICE;` (93, new in v4.21.0's hailort.h)."""
        from ._version import at_least

        ok = {"HAILO8": {"hailo8", "hailo8r", "hailo8l"}, "HAILO8L": {"hailo8l"}}[self._arch]
        if hef.header["hw_arch"] not in ok:
            raise E.failed(93 if at_least(4, 21) else 26)
        if hef.header["hw_arch"] == "hailo8l" and self._arch == "HAILO8":
            # device_internal.cpp@v4.20.0 lines 614-617 (@v4.23.0 the same, 614-617): the HEF
            # loads, HailoRT logs a warning (console sink at warn by default, stderr,
            # hailort_logger.cpp/.hpp@v4.20.0: "[HailoRT] [warning] ...")
            log_warning(
                "HEF was compiled for Hailo8L device, while the device itself is Hailo8. "
                "This will result in lower performance."
            )


class InferStream:
    def __init__(self, model: InferModel, info: dict) -> None:
        self._model = model
        self.name = info["name"]
        self.shape = tuple(info["shape"])  # NHWC without the batch axis
        self.quant_infos = [info.get("quant_info")]
        self._type = FormatType.AUTO

    @property
    def format(self) -> Any:
        return type("Format", (), {"type": self._type, "order": FormatOrder.NHWC})()

    def set_format_type(self, type: FormatType) -> None:
        _call(f"set_format_type:{self.name}")
        if self._model._configured:
            raise E.HailoRTException("set_format_type must be called before configure()")
        self._type = FormatType(type)

    def dtype(self) -> type:
        return np.float32 if self._type == FormatType.FLOAT32 else np.uint8


class InferModel:
    def __init__(self, vdevice: VDevice, hef: Any) -> None:
        self._vdevice = vdevice
        self._hef = hef
        self._configured = False
        self.hef = hef.header
        self.inputs = [InferStream(self, i) for i in hef.header["inputs"]]
        self.outputs = [InferStream(self, o) for o in hef.header["outputs"]]
        self.batch_size = 0

    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [s.name for s in self.outputs]

    @staticmethod
    def _pick(streams: list[InferStream], name: str) -> InferStream:
        if not name:
            if len(streams) != 1:
                raise E.HailoRTException("name is required when there are several streams")
            return streams[0]
        for s in streams:
            if s.name == name:
                return s
        raise E.failed(61)

    def input(self, name: str = "") -> InferStream:
        return self._pick(self.inputs, name)

    def output(self, name: str = "") -> InferStream:
        return self._pick(self.outputs, name)

    def set_batch_size(self, batch_size: int) -> None:
        _call("set_batch_size")
        self.batch_size = batch_size

    def configure(self) -> ConfiguredInferModel:
        _call("configure")
        self._vdevice.check_hef_is_compatible(self._hef)
        self._configured = True
        return ConfiguredInferModel(self)


class _Buffer:
    def __init__(self, stream: InferStream, buf: np.ndarray | None = None) -> None:
        self._stream = stream
        self._buf: np.ndarray | None = None
        if buf is not None:
            self.set_buffer(buf)

    def set_buffer(self, buffer: np.ndarray) -> None:
        s = self._stream
        if not isinstance(buffer, np.ndarray):
            raise E.HailoRTException("buffer must be a numpy array")
        if not buffer.flags["C_CONTIGUOUS"]:
            raise E.HailoRTException("buffer is not C-contiguous (use np.ascontiguousarray)")
        want = np.dtype(s.dtype())
        nbytes = int(np.prod(s.shape)) * want.itemsize
        if buffer.nbytes != nbytes:
            raise E.HailoRTException(
                f"{E.STATUS[2]}: buffer size {buffer.nbytes} != expected {nbytes} for stream "
                f"{s.name} (shape {s.shape}, format {s._type.name})"
            )
        if buffer.dtype != want or tuple(buffer.shape) != s.shape:
            raise E.HailoRTException(
                f"{E.STATUS[2]}: stream {s.name} wants {want} {s.shape}, got "
                f"{buffer.dtype} {tuple(buffer.shape)}"
            )
        self._buf = buffer

    def get_buffer(self) -> np.ndarray:
        if self._buf is None:
            raise E.HailoRTException(f"no buffer set for {self._stream.name}")
        return self._buf


class Bindings:
    def __init__(
        self,
        model: InferModel,
        input_buffers: dict[str, np.ndarray] | None = None,
        output_buffers: dict[str, np.ndarray] | None = None,
    ) -> None:
        self._in = {s.name: _Buffer(s) for s in model.inputs}
        self._out = {s.name: _Buffer(s) for s in model.outputs}
        for given, streams in ((input_buffers, self._in), (output_buffers, self._out)):
            for name, buf in (given or {}).items():
                if name not in streams:
                    raise E.failed(61)
                streams[name].set_buffer(buf)

    def input(self, name: str = "") -> _Buffer:
        return self._in[name] if name else next(iter(self._in.values()))

    def output(self, name: str = "") -> _Buffer:
        return self._out[name] if name else next(iter(self._out.values()))


def _check_timeout(timeout: Any) -> None:
    # pyhailort passes timeouts as timedelta(milliseconds=...); the fake insists on a positive
    # int of milliseconds so a seconds/milliseconds mix-up cannot pass.
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise E.HailoRTException("timeout must be a positive int (milliseconds)")


class AsyncInferCompletionInfo:
    """pyhailort.py AsyncInferCompletionInfo: `.exception` is None on success."""

    def __init__(self, exception: E.HailoRTException | None) -> None:
        self._exception = exception

    @property
    def exception(self) -> E.HailoRTException | None:
        return self._exception


class AsyncInferJob:
    """pyhailort.py AsyncInferJob. wait(timeout_ms) -> AsyncInferJobWrapper::wait
    (bindings/python/src/infer_model_api.cpp) waits for the job AND its callback and raises only
    HailoRTTimeout: a job that FAILED does not raise here (AsyncInferJobImpl::wait in
    src/net_flow/pipeline/infer_model.cpp checks only the timeout); its status reaches the
    caller solely through the callback's completion_info.exception."""

    def __init__(self, cim: ConfiguredInferModel, frames: list[Bindings], callback: Any) -> None:
        self._cim = cim
        self._frames = frames
        self._callback = callback
        self._done = False

    def _finish(self, exc: E.HailoRTException | None) -> None:
        self._done = True
        if self._callback is not None:
            self._callback(completion_info=AsyncInferCompletionInfo(exc))

    def wait(self, timeout_ms: int) -> None:
        _call("job.wait")
        _check_timeout(timeout_ms)
        while not self._done:
            self._cim._complete_next(timeout_ms)


def rwq_max_capacity(size: int, max_block_size: int = 512) -> int:
    """moodycamel::ReaderWriterQueue<T, 512>(size).max_capacity(), readerwriterqueue v1.0.3
    (commit 435e365, the one hailort v4.20.0 cmake/external/readerwriterqueue.cmake fetches;
    SpscQueue wraps it with MAX_BLOCK_SIZE 512, common/thread_safe_queue.hpp). readerwriterqueue.h
    line 102 `largestBlockSize = ceilToPow2(size + 1)`; above MAX_BLOCK_SIZE * 2 (lines 103-110)
    `(size + MAX_BLOCK_SIZE * 2 - 3) / (MAX_BLOCK_SIZE - 1)` blocks of MAX_BLOCK_SIZE; lines
    503-513 max_capacity() sums each block's sizeMask (its size - 1)."""
    block = 1 << size.bit_length()  # ceilToPow2(size + 1), lines 640-651
    if block > max_block_size * 2:
        return (size + max_block_size * 2 - 3) // (max_block_size - 1) * (max_block_size - 1)
    return block - 1


class ConfiguredInferModel:
    """pyhailort.py ConfiguredInferModel over C++ ConfiguredInferModelImpl (infer_model.cpp).

    The async queue (github hailo-ai/hailort v4.20.0; the same lines at v4.21.0-v4.23.0):
    - get_async_queue_size() is Q = the streams' smallest async queue (infer_model.cpp 979-981
      -> network_group.cpp get_min_buffer_pool_size 812-835); env FAKE_HAILO_ASYNC_QUEUE_SIZE,
      default 8. The pipeline is built with buffer_pool_size_edges = the same Q
      (async_pipeline_builder.cpp line 870).
    - can_push_buffers(n) (async_infer_runner.cpp 224-241) asks the pipeline's two ends:
      the output end, LastAsyncElement, whose pool holds 2Q user buffers (edge_elements.cpp 179
      `queue_size = queue_size * 2`; BufferPool::max_capacity() is that count, pipeline.cpp
      411-414) and answers `num_of_buffers_in_pool() + frames_count < max_capacity()`
      (edge_elements.cpp 232-235); the entry end, the EntryPushQEl AsyncPushQueueElement
      (async_pipeline_builder.cpp 85-88, is_entry), whose SpscQueue is made for 2Q
      (queue_elements.cpp 418-421) and so holds rwq_max_capacity(2Q) = ceilToPow2(2Q + 1) - 1,
      and answers `m_queue.size_approx() + frames_count < m_queue.max_capacity()`
      (queue_elements.cpp 617-620). Both comparisons are strict.
    - wait_for_async_ready(timeout, n) waits for can_push_buffers(n), else HAILO_TIMEOUT
      (infer_model.cpp 802-823); run_async checks can_push_buffers(1) per binding, else
      HAILO_QUEUE_IS_FULL (async_infer_runner.cpp 288-289).
    The fake's device takes nothing until the caller waits (wait_for_async_ready or job.wait):
    the slowest device the API allows, so every frame in flight counts at both ends (the real
    device drains the entry queue and the pool as it starts frames: the fake is stricter, never
    looser). With nothing in flight, frames_count up to 2Q - 1 passes both checks; pyhailort's
    docstring (pyhailort.py v4.20.0 line 3214: "frames_count greater than get_async_queue_size
    will timeout") is stricter still, and the fake times out there too.
    """

    def __init__(self, model: InferModel) -> None:
        self._model = model
        self._active = False
        self._closed = False
        self._status = 0  # pipeline status; HAILO_STREAM_ABORT (63) once shut down
        self._queue_size = _env_int("FAKE_HAILO_ASYNC_QUEUE_SIZE", 8)
        self._pending: deque[AsyncInferJob] = deque()

    def __enter__(self) -> ConfiguredInferModel:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        self._closed = True  # pyhailort __exit__ drops the C++ object: later calls fail

    def _live(self, what: str) -> None:
        if self._closed:
            raise AttributeError(f"'NoneType' object has no attribute '{what}'")

    def shutdown(self) -> None:
        # infer_model.cpp ConfiguredInferModelImpl::shutdown -> AsyncInferRunnerImpl::abort ->
        # AsyncPipeline::shutdown(HAILO_STREAM_ABORT): unrecoverable, queued frames fail.
        _call("shutdown")
        self._abort()

    def _abort(self) -> None:
        self._status = 63
        while self._pending:
            self._pending.popleft()._finish(E.failed(63))

    def _scheduler(self) -> bool:
        sched = self._model._vdevice.params.scheduling_algorithm
        return sched != HailoSchedulingAlgorithm.NONE

    def activate(self) -> None:
        if self._scheduler():
            raise E.HailoRTException("activate() is invalid when the scheduler is on")
        self._active = True

    def deactivate(self) -> None:
        self._active = False

    def create_bindings(
        self,
        input_buffers: dict[str, np.ndarray] | None = None,
        output_buffers: dict[str, np.ndarray] | None = None,
    ) -> Bindings:
        """pyhailort.py ConfiguredInferModel.create_bindings(self, input_buffers=None,
        output_buffers=None) (v4.20.0 line 3173, v4.23.0 line 3238): each given buffer goes
        through bindings.input(name) / .output(name).set_buffer()."""
        self._live("create_bindings")
        return Bindings(self._model, input_buffers, output_buffers)

    def get_async_queue_size(self) -> int:
        # infer_model.cpp ConfiguredInferModelImpl::get_async_queue_size -> CoreOp::infer_queue_size
        # (core_op.cpp): the smallest get_async_max_queue_size() of the model's streams.
        self._live("get_async_queue_size")
        return self._queue_size

    def _in_flight(self) -> int:
        return sum(len(j._frames) for j in self._pending)

    def can_push_buffers(self, frames_count: int, pushed: int = 0) -> bool:
        """AsyncInferRunnerImpl::can_push_buffers (see the class docstring for the lines)."""
        held = self._in_flight() + pushed  # in the output pool and the entry queue (worst case)
        output_pool = held + frames_count < 2 * self._queue_size
        entry_queue = held + frames_count < rwq_max_capacity(2 * self._queue_size)
        return output_pool and entry_queue

    def wait_for_async_ready(self, timeout_ms: int = 1000, frames_count: int = 1) -> None:
        """pyhailort.py wait_for_async_ready(timeout_ms=1000, frames_count=1) ->
        ConfiguredInferModelImpl::wait_for_async_ready (infer_model.cpp): waits until
        can_push_buffers(frames_count), else HAILO_TIMEOUT -> HailoRTTimeout. pyhailort's
        docstring: frames_count greater than get_async_queue_size() will time out (the fake
        raises at once instead of sleeping timeout_ms)."""
        _call(f"wait_for_async_ready:{frames_count}")
        self._live("wait_for_async_ready")
        _check_timeout(timeout_ms)
        if frames_count > self._queue_size:
            raise E.failed(4)
        while not self.can_push_buffers(frames_count):
            if not self._pending:  # nothing left to finish: the real call sleeps, then times out
                raise E.failed(4)
            self._complete_next(timeout_ms)

    def run_async(self, bindings: list[Bindings], callback: Any = None) -> AsyncInferJob:
        """pyhailort.py run_async(bindings, callback=None) -> C++ ConfiguredInferModel::run_async
        (vector overload, infer_model.cpp) pushes each binding via AsyncInferRunnerImpl::run
        (async_infer_runner.cpp), which first fails on a non-OK pipeline status (63 after a
        shutdown) and then checks can_push_buffers(1): HAILO_QUEUE_IS_FULL (82) beyond the queue
        size, raised by pyhailort as a plain HailoRTException("libhailort failed with error: 82
        (HAILO_QUEUE_IS_FULL)"). On any error ConfiguredInferModel::run_async calls shutdown():
        the model is unusable afterwards and frames already pushed fail."""
        _call(f"run_async:{len(bindings)}")
        self._live("run_async")
        vd = self._model._vdevice
        if vd._released:
            raise E.failed(62)
        for b in bindings:  # pyhailort collects every buffer first (buffer guards)
            for buf in (*b._in.values(), *b._out.values()):
                buf.get_buffer()
        pushed: list[Bindings] = []
        for b in bindings:
            err = self._status or (0 if self.can_push_buffers(1, len(pushed)) else 82)
            if err:
                if pushed:
                    self._pending.append(AsyncInferJob(self, pushed, None))  # detached partial
                self._abort()
                raise E.failed(err)
            pushed.append(b)
        job = AsyncInferJob(self, pushed, callback)
        self._pending.append(job)
        return job

    def run(self, bindings: list[Bindings], timeout: int) -> None:
        """pyhailort.py run(bindings, timeout): `job = self.run_async(bindings); job.wait(timeout)`
        verbatim: no wait_for_async_ready, and a failed job does not raise (see AsyncInferJob)."""
        _check_timeout(timeout)
        job = self.run_async(bindings)
        job.wait(timeout)

    def _complete_next(self, timeout_ms: int) -> None:
        """The device finishes the oldest queued job (FIFO)."""
        job = self._pending[0]
        delay = float(os.environ.get("FAKE_HAILO_RUN_DELAY_S", "0"))
        if delay:
            if delay * 1000 > timeout_ms:
                time.sleep(timeout_ms / 1000)
                raise E.failed(4)
            time.sleep(delay)
        vd = self._model._vdevice
        fail_after = _env_int("FAKE_HAILO_FAIL_AFTER", -1)
        if 0 <= fail_after <= vd.runs:
            # A core error reaches the job's callback only, then shuts the pipeline down
            # (AsyncPipeline::shutdown in async_infer_runner.cpp: "Errors from the core").
            self._pending.popleft()._finish(E.failed(36))
            self._abort()
            return
        vd.runs += 1
        for b in job._frames:
            streams = list(b._in.values())
            x = streams[0].get_buffer()
            for o in b._out.values():
                out = o.get_buffer()
                if streams[0]._stream._type != FormatType.FLOAT32:
                    out[...] = 0  # quantized path not emulated: fail loudly in parity checks
                elif not (self._scheduler() or self._active):
                    out[...] = 0  # reported real behaviour: scheduler off, not activated -> zeros
                else:
                    y = self._model._hef.run(x.reshape(1, *x.shape))
                    out[...] = np.asarray(y, np.float32).reshape(out.shape)
        self._pending.popleft()._finish(None)

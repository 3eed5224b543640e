"""A FAKE of HailoRT's Python package `hailo_platform` (hailort 4.x, hailo8 branch), tests only.

HailoRT cannot be installed here. This fake follows the API documented in
shared/reference/hailo.md section 1 (pyhailort.py) and enforces what the daemon must get right:

- `VDevice.create_params()` defaults to `HailoSchedulingAlgorithm.NONE` as the real Python
  binding does; with the scheduler off and no `activate()`, `run()` returns ZEROS and raises
  nothing (the reported real behaviour), so forgetting ROUND_ROBIN fails golden checks.
- one VDevice per device (a second one raises error 74 HAILO_OUT_OF_PHYSICAL_DEVICES), across
  processes when FAKE_HAILO_DEVICE_DIR names a shared folder (a lock held until release or
  process exit); `multi_process_service` goes through the fake hailort service (fake_service.py,
  HAILORT_SERVICE_ADDRESS): 77 HAILO_RPC_FAILED when it is not running, 78 on a version mismatch,
  sharing only within one non-UNIQUE group_id, and mixing with direct VDevices refused (74);
  real behaviour cited in _device.py. `create_infer_model` from another PID raises.
- `InferStream.set_format_type()` must precede `configure()` (raises afterwards); a FLOAT32
  buffer on an AUTO/UINT8 stream fails with a size mismatch.
- `Bindings.input().set_buffer(x)` requires a C-contiguous ndarray of the stream's dtype and
  exact NHWC shape (no batch axis); `run(bindings, timeout)` takes the timeout positionally.
- HEF compatibility, checked at InferModel.configure(): a HAILO8L device runs only hailo8l HEFs;
  the status is HAILO_INVALID_HEF (26) up to 4.20 and HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE (93)
  from 4.21 (device_internal.cpp check_hef_is_compatible, per tag; _api.py cites the lines).
- status codes and exception classes as in pyhailort's ExceptionWrapper (_errors.py); the
  specific classes live in hailo_platform.pyhailort.pyhailort, not at the top level.
- the async queue: get_async_queue_size() is Q (FAKE_HAILO_ASYNC_QUEUE_SIZE, default 8) and the
  pipeline's two strict checks are modelled with their real capacities (_api.py cites
  edge_elements.cpp, queue_elements.cpp, async_pipeline_builder.cpp and readerwriterqueue):
  frames in flight + frames_count < 2Q (the output pool) and < ceilToPow2(2Q + 1) - 1 (the entry
  queue); wait_for_async_ready(frames_count > Q) times out as pyhailort documents.
  `run(bindings, timeout)` is run_async + job.wait WITHOUT wait_for_async_ready, so a binding the
  checks refuse fails with HAILO_QUEUE_IS_FULL (82) and shuts the model down; a job that fails on
  the device does not raise from wait(), only via the run_async callback.
- a HEF this HailoRT cannot read (its header version is newer than the runtime reads, or it
  comes from a newer DFC than the runtime's pair) is refused as the real one refuses it:
  HAILO_HEF_NOT_SUPPORTED (92) from HailoRT 4.21, HAILO_INVALID_HEF (26) up to 4.20. The runtime
  version is FAKE_HAILORT_VERSION, else the fleet's pin (hailort_version in
  roles/hailort/defaults/main.yml, _version.py), read at import.
- a hailo8l HEF configures on a HAILO8 with HailoRT's lower-performance warning (stderr and
  LOG; device_internal.cpp@v4.20.0 lines 614-617); identify().device_architecture is a
  DeviceArchitectureTypes IntEnum whose str() is its name (pyhailort.py@v4.20.0 1543-1565).
- Device() construction is counted in CALLS (the real one runs gc.collect() each time).

Outputs are computed by running the HEF's payload: a FAKE HEF written by the fake DFC
(tests/fakes/hailo_sdk_client/fake_hef.py) holds the quantized ONNX emulator of the artifact's
encoder_accel.onnx, so parity against golden.npz is meaningful. Fault injection via env vars:
FAKE_HAILO_DEVICES (count, default 1), FAKE_HAILO_ARCH (HAILO8 | HAILO8L),
FAKE_HAILO_DRIVER_VERSION (default = __version__), FAKE_HAILO_ASYNC_QUEUE_SIZE (default 8),
FAKE_HAILO_FAIL_AFTER (jobs before every job fails with status 36 in its callback and shuts the
model down), FAKE_HAILO_RUN_DELAY_S (device time per job).
Everything exercised with it is verified against a fake, not on hardware.
"""

# Top-level names exactly as the real hailo_platform/__init__.py exports them (those of them the
# fake implements): the specific exception classes (HailoRTTimeout, HailoRTInvalidHEFException,
# ...) are NOT top-level in the real package, only in hailo_platform.pyhailort.pyhailort.
from ._api import (
    HEF,
    AsyncInferJob,
    ConfigureParams,
    Device,
    FormatOrder,
    FormatType,
    HailoSchedulingAlgorithm,
    HailoStreamInterface,
    InferVStreams,
    InputVStreamParams,
    OutputVStreamParams,
    VDevice,
)
from ._errors import HailoCommunicationClosedException, HailoRTException
from ._version import default as _default_version

__version__ = _default_version()  # FAKE_HAILORT_VERSION, else the role's hailort_version
FAKE = True
CALLS: list[str] = []  # every API call, in order, for tests that check the call sequence
LOG: list[str] = []  # HailoRT's warnings as its console logger prints them (_api.log_warning)

__all__ = [
    "CALLS",
    "FAKE",
    "HEF",
    "LOG",
    "AsyncInferJob",
    "ConfigureParams",
    "Device",
    "FormatOrder",
    "FormatType",
    "HailoCommunicationClosedException",
    "HailoRTException",
    "HailoSchedulingAlgorithm",
    "HailoStreamInterface",
    "InferVStreams",
    "InputVStreamParams",
    "OutputVStreamParams",
    "VDevice",
    "__version__",
]

"""A FAKE of HailoRT's Python package `hailo_platform` (hailort 4.23, hailo8 branch), tests only.

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
- HEF compatibility: a HAILO8L device runs only hailo8l HEFs (error 93).
- status codes and exception classes as in pyhailort's ExceptionWrapper (_errors.py); the
  specific classes live in hailo_platform.pyhailort.pyhailort, not at the top level.
- the async queue: at most get_async_queue_size() frames in flight (FAKE_HAILO_ASYNC_QUEUE_SIZE,
  default 8); `run(bindings, timeout)` is run_async + job.wait WITHOUT wait_for_async_ready, so
  more bindings than the queue fail with HAILO_QUEUE_IS_FULL (82) and shut the model down; a job
  that fails on the device does not raise from wait(), only via the run_async callback.
- a HEF this HailoRT cannot read (its header version is newer than the runtime reads, or it
  comes from a newer DFC than the runtime's pair) is refused as the real one refuses it:
  HAILO_HEF_NOT_SUPPORTED (92) from HailoRT 4.21, HAILO_INVALID_HEF (26) up to 4.20. The runtime
  version is FAKE_HAILORT_VERSION (default 4.23.0), read at import.
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
import os

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

__version__ = os.environ.get("FAKE_HAILORT_VERSION", "4.23.0")
FAKE = True
CALLS: list[str] = []  # every API call, in order, for tests that check the call sequence

__all__ = [
    "CALLS",
    "FAKE",
    "HEF",
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

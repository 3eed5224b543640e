"""HailoRT through hailo_platform's InferModel API (hailo.md section 1).

One VDevice per process with the ROUND_ROBIN scheduler set explicitly (the Python default is
NONE, which makes run() return zeros); with several worker processes each opens it through
HailoRT's multi-process service (hailort.service) in one shared group_id (VDeviceSettings).
FLOAT32 formats set before configure(), C-contiguous NHWC buffers, explicit timeouts,
HailoRT status codes mapped to messages that say what to do.
hailo_platform is imported lazily: importing it touches the driver.
In this repository this module is verified against a fake hailo_platform, not on hardware.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from edge_artifact import Artifact, ArtifactError, hailo_pairs
from edge_artifact.sections import HefChoice, HefChoiceError, compile_command

from hailo_inference.backends.base import BackendError, BackendTimeout, BackendUnavailable
from hailo_inference.logs import get_logger

if TYPE_CHECKING:
    from hailo_inference.config import ModelConfig

# HAILO_INVALID_HEF (26) means three things on HailoRT <= 4.20 (hailo-ai/hailort v4.20.0): a file
# that is no HEF or is damaged, a HEF from a newer DFC (hef.cpp parse_hef_file and
# validate_hef_extensions), and a HEF for another chip (device_internal.cpp
# check_hef_is_compatible line 604). From 4.21 the last two have their own codes, 92 and 93.
INVALID_HEF_HINT = (
    "HAILO_INVALID_HEF: HailoRT refused the HEF; on HailoRT <= 4.20 this status means one of "
    "three things (hailort.log names which): (1) the HEF was compiled for another chip "
    '("HEF format is not compatible with device"): a Hailo-8L runs only hailo8l HEFs, compare '
    "the manifest's backends.hailo.hw_arch with `hailortcli fw-control identify` and rebuild "
    "with the right --hw-arch; (2) the HEF comes from a newer DFC (Dataflow Compiler) than "
    "this HailoRT reads: rebuild it with the DFC Hailo ships with the device's HailoRT "
    "(edge_artifact/hailo_pairs.json: DFC 3.30 for HailoRT 4.20) or upgrade hailort; (3) the "
    "file is damaged: check the artifact's sha256"
)
# HailoRT status codes (include/hailo/hailort.h) -> what the operator should do.
STATUS_HINTS: dict[int, str] = {
    26: INVALID_HEF_HINT,
    73: "HAILO_DEVICE_IN_USE: another process holds the Hailo device; stop it "
    "(`sudo lsof /dev/hailo0`) or run hailort.service with multi_process_service",
    74: "HAILO_OUT_OF_PHYSICAL_DEVICES: no free Hailo device; another process holds it or "
    "none is present (`hailortcli scan`, `sudo lsof /dev/hailo0`); processes that share it must "
    "all go through hailort.service with one group_id (model.hailo_multi_process, "
    "model.hailo_group_id)",
    76: "HAILO_INVALID_DRIVER_VERSION: the hailo_pci driver and libhailort versions differ; "
    "install the same version of hailort and hailort-pcie-driver/hailo-dkms and reboot",
    77: "HAILO_RPC_FAILED: hailort.service is not reachable; start it (`sudo systemctl enable "
    "--now hailort.service`; Ansible: hailort_multi_process_service: true) or serve from one "
    "process (server.workers: 1, model.hailo_multi_process: false)",
    78: "HAILO_INVALID_SERVICE_VERSION: hailort.service runs another libhailort version than "
    "this process; restart it after upgrading hailort (`sudo systemctl restart hailort.service`)",
    82: "HAILO_QUEUE_IS_FULL: more frames were submitted than get_async_queue_size(); "
    "HailoRT then shuts the model down: restart the daemon and report it (a daemon bug)",
    87: "HAILO_DRIVER_TIMEOUT: the driver timed out; check `dmesg | grep hailo` and PCIe power",
    92: "HAILO_HEF_NOT_SUPPORTED: the HEF was built by a newer Dataflow Compiler than this "
    "HailoRT supports (make sure the DFC version is compatible); rebuild it with the DFC that "
    "Hailo ships with the device's HailoRT (edge_artifact/hailo_pairs.json: DFC 3.30 for "
    "HailoRT 4.20, DFC 3.33 for 4.23) or upgrade hailort on the host",
    93: "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE (HailoRT >= 4.21; 4.20 says HAILO_INVALID_HEF): "
    "the HEF was compiled for another hw_arch (a Hailo-8L runs only hailo8l HEFs); rebuild with "
    "the right --hw-arch",
}
CLASS_HINTS: dict[str, str] = {
    "HailoRTInvalidHEFException": INVALID_HEF_HINT,
    "HailoRTStreamAborted": "HailoRT shut the model's pipeline down after an earlier error "
    "(HAILO_STREAM_ABORT); restart the daemon and look for the first error in the log",
    "HailoRTHEFNotCompatibleWithDevice": STATUS_HINTS[93],
    "HailoRTDriverOperationFailedException": "a driver operation failed; run "
    "'dmesg | grep hailo' and check that /dev/hailo0 exists",
    "HailoRTNotFoundException": "no Hailo device found; check `hailortcli scan` and the driver",
    "HailoCommunicationClosedException": "the connection to the device/service closed; "
    "restart hailort.service or the daemon",
}
_CODE = re.compile(r"error:\s*(\d+)")


def explain(exc: BaseException) -> str:
    """A HailoRT exception -> one line naming the status and the fix."""
    name = type(exc).__name__
    hint = CLASS_HINTS.get(name)
    m = _CODE.search(str(exc))
    if hint is None and m and int(m.group(1)) in STATUS_HINTS:
        hint = STATUS_HINTS[int(m.group(1))]
    return f"{name}: {exc}" + (f" -> {hint}" if hint else "")


def import_platform() -> ModuleType:
    try:
        import hailo_platform
    except ImportError as exc:
        raise BackendUnavailable(
            "hailo_platform is not importable (install the `hailort` wheel matching the "
            f"driver, e.g. apt `python3-hailort`, or use model.backend: onnx): {exc}"
        ) from exc
    return hailo_platform


def device_present(hp: ModuleType) -> bool:
    try:
        return bool(hp.Device.scan())
    except Exception:
        return False


KEY = "hailo"


def unavailable(artifact: Artifact) -> str | None:
    """None when auto should try hailo, else the reason it should not."""
    if not artifact.backend(KEY):
        return "the artifact has no HEF (manifest backends.hailo)"
    try:
        hp = import_platform()
    except BackendUnavailable as exc:
        return str(exc)
    if not device_present(hp):
        return "no Hailo device found (hailo_platform.Device.scan() is empty)"
    return None


def create(artifact: Artifact, cfg: ModelConfig) -> HailoBackend:
    return HailoBackend(artifact, VDeviceSettings.of(cfg))


@dataclass(frozen=True)
class VDeviceSettings:
    """How this process opens the device: alone, or through hailort.service in a group shared
    by every worker process (HailoRT's multi-process service; docs/hailo.md)."""

    multi_process: bool = False
    group_id: str = "SHARED"

    @classmethod
    def of(cls, cfg: ModelConfig) -> VDeviceSettings:
        # build_config resolves auto; a ModelConfig built directly keeps auto = one process.
        return cls(cfg.hailo_multi_process == "true", cfg.hailo_group_id)

    def apply(self, params: Any) -> None:
        if self.multi_process:  # else HailoRT's defaults: the process opens the device itself
            params.multi_process_service = True
            params.group_id = self.group_id


def check_runtime(entry: dict[str, Any], hp: ModuleType) -> None:
    """Refuse a HEF this host's HailoRT cannot load, naming what to upgrade (before the device
    is opened). The manifest records the HailoRT versions that load it (backends.hailo
    hailort_min_version / hailort_below_version, from edge_artifact/hailo_pairs.json); a manifest
    without them predates the table and is left to HailoRT itself (status 92 / 26)."""
    version = str(getattr(hp, "__version__", "") or "")
    if not version:
        return
    try:
        why = hailo_pairs.load_refusal(entry, version)
    except ValueError:
        return  # an unparsable version: HailoRT's own check decides
    if why:
        raise BackendUnavailable(f"HailoRT cannot load this HEF: {why}")


def choose_hef(artifact: Artifact, hp: ModuleType, settings: VDeviceSettings) -> HefChoice:
    """The artifact's HEF for this host's device: the device's own architecture, else one it
    runs at lower performance (a hailo8l HEF on a Hailo-8, logged as HailoRT logs it), else
    BackendUnavailable naming the compile command. HailoRT's rule (device_internal.cpp
    is_hef_compatible, v4.20.0 lines 716-722) is edge_artifact.sections.RUNS_ON. The device's
    architecture is `Device.control.identify().device_architecture` (pyhailort.py v4.20.0
    Control.identify, line 2096), read from the process's VDevice."""
    try:
        backend = artifact.manifest.hailo
    except ArtifactError as exc:
        raise BackendUnavailable(str(exc)) from exc
    if backend is None:
        raise BackendUnavailable(
            f"{artifact.path}: manifest has no backends.hailo entry (no HEF was compiled)"
        )
    check_runtime(backend.primary.entry, hp)  # before the device is opened
    try:
        device = VDEVICE.physical_devices(hp, settings)[0]
        arch = device.control.identify().device_architecture
    except BackendUnavailable:
        raise
    except Exception as exc:
        raise BackendUnavailable(f"cannot identify the Hailo device: {explain(exc)}") from exc
    try:
        choice = backend.for_device(arch)
    except (HefChoiceError, ValueError) as exc:
        raise BackendUnavailable(f"{artifact.ref}: no HEF for this device: {exc}") from exc
    if choice.warning:
        get_logger().warning(
            "hef_lower_performance",
            hef=choice.hef.file,
            hw_arch=choice.hef.hw_arch,
            device_arch=choice.device_arch,
            detail=f"{choice.warning} Build a hailo8 HEF as well for full speed: "
            f"{compile_command(('hailo8l', 'hailo8'))}",
        )
    return choice


def _open_failed(exc: BaseException, settings: VDeviceSettings) -> str:
    how = (
        f"through hailort.service (model.hailo_multi_process on, group_id {settings.group_id!r})"
        if settings.multi_process
        else "in this process alone (model.hailo_multi_process off)"
    )
    return f"cannot open the Hailo device {how}: {explain(exc)}"


class _SharedVDevice:
    """The process's single VDevice, created on first use with ROUND_ROBIN scheduling."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.vdevice: Any = None
        self.settings: VDeviceSettings | None = None
        self._devices: list[Any] | None = None

    def get(self, hp: ModuleType, settings: VDeviceSettings | None = None) -> Any:
        settings = settings or self.settings or VDeviceSettings()
        with self._lock:
            if self.vdevice is not None and settings != self.settings:
                raise BackendUnavailable(
                    f"the Hailo device is open with {self.settings}, not {settings}: restart the "
                    "daemon to change model.hailo_multi_process / model.hailo_group_id"
                )
            if self.vdevice is None:
                params = hp.VDevice.create_params()
                # The service requires a scheduler too (HAILO_INVALID_ARGUMENT without one).
                params.scheduling_algorithm = hp.HailoSchedulingAlgorithm.ROUND_ROBIN
                settings.apply(params)
                try:
                    self.vdevice = hp.VDevice(params)
                except Exception as exc:
                    raise BackendUnavailable(_open_failed(exc, settings)) from exc
                self.settings = settings
                atexit.register(self.release)
            return self.vdevice

    def physical_devices(
        self, hp: ModuleType, settings: VDeviceSettings | None = None
    ) -> list[Any]:
        """The VDevice's physical Device handles, opened once and kept (temperature scrapes).

        pyhailort's VDevice.get_physical_devices() builds NEW Device objects on every call and
        each Device() runs a full gc.collect() and opens the device (pyhailort.py
        Device.__init__), too much for every /metrics scrape.
        """
        vdevice = self.get(hp, settings)
        with self._lock:
            if self._devices is None:
                self._devices = list(vdevice.get_physical_devices())
            return self._devices

    def release(self) -> None:
        with self._lock:
            for dev in self._devices or ():
                with contextlib.suppress(Exception):
                    dev.release()
            self._devices = None
            if self.vdevice is not None:
                with contextlib.suppress(Exception):
                    self.vdevice.release()
                self.vdevice = None
            self.settings = None


VDEVICE = _SharedVDevice()


class HailoBackend:
    kind = KEY
    is_stub = False
    layout = "NHWC"

    def __init__(self, artifact: Artifact, settings: VDeviceSettings | None = None) -> None:
        hp = import_platform()
        self._hp = hp
        choice = choose_hef(artifact, hp, settings or VDeviceSettings())
        entry = {**choice.hef.entry, "file": choice.hef.file, "hw_arch": choice.hef.hw_arch}
        try:
            hef: Path = artifact.file(entry["file"])
        except ArtifactError as exc:
            raise BackendUnavailable(str(exc)) from exc
        self.file = entry["file"]
        self.sha256 = artifact.manifest.file_sha256(entry["file"])
        self.hw_arch = choice.hef.hw_arch
        self.device_arch = choice.device_arch
        self.arch_warning = choice.warning
        self.normalization_on_chip = bool(entry.get("normalization_on_chip", False))
        check_runtime(entry, hp)
        vdevice = VDEVICE.get(hp, settings or VDeviceSettings())
        self._stack = contextlib.ExitStack()
        try:
            im = vdevice.create_infer_model(str(hef))
            im.set_batch_size(1)
            if len(im.input_names) != 1 or len(im.output_names) != 1:
                raise BackendUnavailable(
                    f"{hef}: expected 1 input and 1 output, got {im.input_names} / "
                    f"{im.output_names}; rebuild the HEF from encoder_accel.onnx"
                )
            # Must precede configure(): HailoRT then (de)quantizes on the host.
            im.input().set_format_type(hp.FormatType.FLOAT32)
            for name in im.output_names:
                im.output(name).set_format_type(hp.FormatType.FLOAT32)
            self.cim = self._stack.enter_context(im.configure())
        except BackendUnavailable:
            self._stack.close()
            raise
        except Exception as exc:
            self._stack.close()
            raise BackendUnavailable(
                f"cannot load {hef} (hw_arch {self.hw_arch}) on the device: {explain(exc)}"
            ) from exc
        self.im = im
        self.output_name = im.output_names[0]
        self.input_shape = tuple(im.input().shape)  # (H, W, C), no batch axis
        self.output_shape = tuple(im.output(self.output_name).shape)
        try:  # frames in flight at once (8 with the multi-process service, <= 32 without)
            self.queue_size = max(1, int(self.cim.get_async_queue_size()))
        except Exception as exc:
            self._stack.close()
            raise BackendUnavailable(f"cannot query {hef}'s async queue: {explain(exc)}") from exc
        self._lock = threading.Lock()

    def run(self, x: np.ndarray, timeout_s: float) -> np.ndarray:
        """Infer n windows within timeout_s (one deadline for the lock wait and every chunk).

        ConfiguredInferModel.run(bindings, timeout) is run_async + wait WITHOUT
        wait_for_async_ready (pyhailort.py), and libhailort refuses a binding once the async
        queue is full (AsyncInferRunnerImpl::run: HAILO_QUEUE_IS_FULL, 82), then shuts the model
        down. So: chunks of get_async_queue_size() frames, each after wait_for_async_ready.
        No queue size Q can deadlock them: libhailort's checks are strict (`in_pool + n < 2Q`,
        `size + n < ceilToPow2(2Q + 1) - 1`) but both pipeline ends are built for 2Q
        (edge_elements.cpp 179, queue_elements.cpp 418-421, v4.18.0-v4.23.0), so n <= Q fits
        once earlier frames finish (docs/hailo.md).
        A failed job does not raise from job.wait() (AsyncInferJobWrapper::wait checks only the
        timeout): its status arrives only through the run_async callback, so it is collected.
        """
        n = x.shape[0]
        if x.shape[1:] != self.input_shape:
            raise BackendError(f"input {x.shape[1:]} does not match the HEF's {self.input_shape}")
        out = np.empty((n, *self.output_shape), dtype=np.float32)
        timeout_ms = max(1, int(timeout_s * 1000))
        deadline = time.monotonic() + timeout_s
        if not self._lock.acquire(timeout=timeout_s):
            raise BackendTimeout(f"Hailo device busy for more than {timeout_ms} ms")
        errors: list[BaseException] = []

        def done(completion_info: Any) -> None:  # runs on HailoRT's callback thread
            if completion_info.exception is not None:
                errors.append(completion_info.exception)

        def left_ms() -> int:
            ms = int((deadline - time.monotonic()) * 1000)
            if ms <= 0:
                raise BackendTimeout(f"Hailo run exceeded {timeout_ms} ms")
            return ms

        try:
            jobs = []
            for start in range(0, n, self.queue_size):
                chunk = []
                for i in range(start, min(n, start + self.queue_size)):
                    b = self.cim.create_bindings(output_buffers={self.output_name: out[i]})
                    b.input().set_buffer(np.ascontiguousarray(x[i], dtype=np.float32))
                    chunk.append(b)
                self.cim.wait_for_async_ready(left_ms(), frames_count=len(chunk))
                jobs.append(self.cim.run_async(chunk, done))
            for job in jobs:
                job.wait(left_ms())
        except BackendTimeout:
            raise
        except Exception as exc:
            if type(exc).__name__ == "HailoRTTimeout":
                raise BackendTimeout(f"Hailo run exceeded {timeout_ms} ms: {explain(exc)}") from exc
            raise BackendError(f"Hailo inference failed: {explain(exc)}") from exc
        finally:
            self._lock.release()
        if errors:
            raise BackendError(f"Hailo inference failed: {explain(errors[0])}")
        return out

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "sha256": self.sha256,
            "layout": self.layout,
            "hw_arch": self.hw_arch,
            "device_arch": self.device_arch,
            "hailort": getattr(self._hp, "__version__", None),
            "scheduler": "ROUND_ROBIN",
            "multi_process_service": bool(VDEVICE.settings and VDEVICE.settings.multi_process),
        }

    def temperatures(self) -> dict[str, float]:
        out: dict[str, float] = {}
        try:
            for i, dev in enumerate(VDEVICE.physical_devices(self._hp)):
                t = dev.control.get_chip_temperature()
                out[f"{i}_ts0"] = float(t.ts0_temperature)
                out[f"{i}_ts1"] = float(t.ts1_temperature)
        except Exception:
            return {}
        return out

    def close(self) -> None:
        with self._lock:
            self._stack.close()

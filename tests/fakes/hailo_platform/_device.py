"""Who holds the Hailo device, across processes, and the client side of hailort.service (fake).

Real behaviour (github hailo-ai/hailort, branch hailo8 = v4.23.0, commit 08f088d3b443):
- Without the service every VDevice opens the device itself: VDeviceBase::create_devices
  (hailort/libhailort/src/vdevice/vdevice.cpp) calls VdmaDevice::mark_as_used(), the driver's
  HAILO_MARK_AS_IN_USE ioctl (src/vdma/driver/hailort_driver.cpp: in_use -> HAILO_DEVICE_IN_USE),
  skips a device in use and then fails with HAILO_OUT_OF_PHYSICAL_DEVICES (74) "there are not
  enough free devices". The mark belongs to the open file: it ends when the holder releases the
  VDevice or its process dies. A second VDevice from another process is therefore refused with
  74; so is a second one in the same process unless both name the same non-UNIQUE group_id
  (VDeviceHandle::create -> SharedResourceManager, src/utils/shared_resource_manager.hpp: the key
  HAILO_UNIQUE_VDEVICE_GROUP_ID "UNIQUE", HailoRT's default group, always creates a new one).
- With params.multi_process_service the VDevice lives in hailort_service (VDevice::create ->
  VDeviceClient::create): the scheduler must not be NONE (HAILO_INVALID_ARGUMENT, 2); the client
  connects to HAILORT_SERVICE_ADDRESS (env, default unix:///tmp/hailort_uds.sock,
  hailort/rpc/rpc_definitions.hpp) and a failed gRPC call is HAILO_RPC_FAILED (77) with "Make sure
  HailoRT service is enabled and active!" (hailort/common/utils.hpp CHECK_GRPC_STATUS); a service
  of another libhailort version is HAILO_INVALID_SERVICE_VERSION (78, rpc_client_utils.hpp). The
  service then creates the VDevice itself with the client's group_id
  (hailort/hailort_service/hailort_rpc_service.cpp VDevice_create), so processes share the device
  only through one non-UNIQUE group_id, and the service's device is "in use" for any process that
  opens it directly (and the other way round): mixing is refused with 74 both ways.
- The unit the deb installs: hailort/hailort_service/hailort.service (ExecStart
  /usr/local/bin/hailort_service, EnvironmentFile=/etc/default/hailort_service).

The fake's device is a lock file `hailo0.lock` under FAKE_HAILO_DEVICE_DIR, held with flock for
the VDevice's lifetime (released on release() or process death, as the driver's mark). Unset, the
directory is private to the process (refusals within the process only), so parallel test runs on
one machine do not see each other. The fake service is fake_service.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import IO, Any

from . import _errors as E

DEVICE_DIR_ENV = "FAKE_HAILO_DEVICE_DIR"
SERVICE_ADDRESS_ENV = "HAILORT_SERVICE_ADDRESS"  # common/internal_env_vars.hpp
DEFAULT_SERVICE_ADDRESS = "unix:///tmp/hailort_uds.sock"  # rpc/rpc_definitions.hpp
UNIQUE = "UNIQUE"  # HAILO_UNIQUE_VDEVICE_GROUP_ID (hailort.h), also HailoRT's default group
_private_dir: str | None = None


def device_dir() -> Path:
    global _private_dir
    shared = os.environ.get(DEVICE_DIR_ENV)
    if shared:
        return Path(shared)
    if _private_dir is None:
        _private_dir = tempfile.mkdtemp(prefix="fake-hailo-device-")
    return Path(_private_dir)


def mark_as_used(directory: Path | None = None) -> IO[str]:
    """Open the device and mark it in use (the driver's HAILO_MARK_AS_IN_USE); 74 if held."""
    d = directory or device_dir()
    d.mkdir(parents=True, exist_ok=True)
    f = (d / "hailo0.lock").open("a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise E.failed(74) from None
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


def service_path() -> str:
    addr = os.environ.get(SERVICE_ADDRESS_ENV, DEFAULT_SERVICE_ADDRESS)
    if not addr.startswith("unix://"):
        raise E.HailoRTException(f"fake: only unix:// service addresses are faked, got {addr!r}")
    return addr[len("unix://") :]


class ServiceVDevice:
    """The client's handle on a VDevice living in hailort_service: the open connection."""

    def __init__(self, group_id: str, version: str) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(service_path())
        except OSError:  # no socket / nobody listening: the gRPC call fails
            sock.close()
            raise E.failed(77) from None
        self._sock = sock
        self._file = sock.makefile("rw")
        reply = self._ask({"op": "create", "group_id": group_id, "pid": os.getpid(),
                           "version": version})  # fmt: skip
        if reply.get("status") != 0:
            self.release()
            raise E.failed(int(reply.get("status", 77)))

    def _ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        try:
            self._file.write(json.dumps(msg) + "\n")
            self._file.flush()
            line = self._file.readline()
        except OSError:
            line = ""
        return json.loads(line) if line else {"status": 77}

    def release(self) -> None:
        for closable in (self._file, self._sock):
            with contextlib.suppress(OSError):
                closable.close()

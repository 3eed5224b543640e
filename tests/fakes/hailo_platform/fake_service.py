"""A FAKE hailort_service (the daemon behind hailort.service), tests only.

Run as `python -m hailo_platform.fake_service [--socket PATH] [--device-dir DIR] [--version V]`; it
prints `ready` once it listens. The socket is the real service's: HAILORT_SERVICE_ADDRESS, else
/tmp/hailort_uds.sock (hailort/rpc/rpc_definitions.hpp@v4.20.0 lines 23-38, the same at v4.17.0 to
v4.23.0; hailort_service/unix/hailort_service.cpp@v4.20.0 line 37 listens there), and like the real
one it makes only that default path world-writable (hailort_service.cpp@v4.20.0 line 43:
chmod(HAILO_DEFAULT_SERVICE_ADDR, S_IROTH | S_IWOTH | S_IRUSR | S_IWUSR), whatever the address), so
a client of another user reaches only the default path. What it does, as the real one (see
_device.py for the cited source): checks the client's libhailort version
(HAILO_INVALID_SERVICE_VERSION, 78), creates the VDevice with the client's group_id (UNIQUE or a
new group opens the device: 74 while anyone else holds it), shares one VDevice between all clients
of a group, and frees it when the last client releases its VDevice or dies (its connection closes).
Verified against a fake, not on hardware.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socketserver
import threading
from pathlib import Path
from typing import IO

from . import _device
from . import _errors as E


class _Groups:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self._open: dict[str, tuple[IO[str], int]] = {}

    def join(self, group_id: str, conn_key: str) -> tuple[str, int]:
        """The key the client's VDevice is registered under and the status (0 or 74)."""
        key = f"{_device.UNIQUE}#{conn_key}" if group_id == _device.UNIQUE else group_id
        with self._lock:
            if key in self._open:
                f, n = self._open[key]
                self._open[key] = (f, n + 1)
                return key, 0
            try:
                f = _device.mark_as_used(self._dir)
            except E.HailoRTException:
                return key, 74
            self._open[key] = (f, 1)
            return key, 0

    def leave(self, key: str) -> None:
        with self._lock:
            f, n = self._open[key]
            if n > 1:
                self._open[key] = (f, n - 1)
            else:
                del self._open[key]
                f.close()


class _Handler(socketserver.StreamRequestHandler):
    server: Service

    def handle(self) -> None:
        line = self.rfile.readline()
        if not line:
            return
        msg = json.loads(line)
        if msg.get("version") != self.server.version:
            self._reply(78)
            return
        key, status = self.server.groups.join(str(msg["group_id"]), str(id(self)))
        self._reply(status)
        if status != 0:
            return
        try:
            while self.rfile.readline():  # the client's VDevice lives until its connection ends
                pass
        finally:
            self.server.groups.leave(key)

    def _reply(self, status: int) -> None:
        self.wfile.write((json.dumps({"status": status}) + "\n").encode())
        self.wfile.flush()


class Service(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, device_dir: Path, version: str) -> None:
        self.groups = _Groups(device_dir)
        self.version = version
        # gRPC unlinks a leftover unix socket before it binds (a restarted service: a new inode)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        super().__init__(path, _Handler)
        if path == _device.DEFAULT_SERVICE_ADDRESS[len("unix://") :]:
            os.chmod(path, 0o606)  # hailort_service.cpp@v4.20.0 line 43 (the default path only)


def main(argv: list[str] | None = None) -> None:
    from . import __version__

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--socket",
        default=_device.service_path(),
        help="default: HAILORT_SERVICE_ADDRESS, else /tmp/hailort_uds.sock (the real default)",
    )
    ap.add_argument("--device-dir", default=os.environ.get(_device.DEVICE_DIR_ENV))
    ap.add_argument("--version", default=__version__, help="libhailort version it reports")
    args = ap.parse_args(argv)
    if not args.device_dir:
        ap.error(f"--device-dir or {_device.DEVICE_DIR_ENV} is needed (the shared device)")
    with Service(args.socket, Path(args.device_dir), args.version) as srv:
        print("ready", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    main()

"""Keep one lab host's systemd-nspawn running across reboots (stdlib only).

Usage: supervise.py <pidfile> -- systemd-nspawn ...
A reboot inside the host makes nspawn exit with 133: start it again (the host "comes back").
SIGTERM: forward to nspawn (clean shutdown of the host), then exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

REBOOT = 133


def main() -> int:
    pidfile, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1 :]
    stopping = False
    child: subprocess.Popen | None = None

    def on_term(_sig: int, _frm: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while True:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        with open(pidfile, "w") as f:
            f.write(str(child.pid))
        rc = child.wait()
        print(f"supervise: nspawn exited with {rc}", flush=True)
        if stopping or rc != REBOOT:
            os.unlink(pidfile) if os.path.exists(pidfile) else None
            return rc


if __name__ == "__main__":
    sys.exit(main())

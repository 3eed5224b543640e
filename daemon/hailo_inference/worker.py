"""One worker of several (server.workers > 1): what it gets from the supervisor, how it talks back.

The supervisor (supervisor.py) starts each worker as a fresh interpreter
(`python -m hailo_inference --config FILE --worker I --listen-fds A,B --channel-fd C`) with the
listening sockets it bound and one end of a SOCK_SEQPACKET socket pair. The worker runs the
ordinary daemon (server.Daemon) on those sockets; the sd_notify lines it would send to systemd
(READY=1, STATUS=, RELOADING=1, WATCHDOG=1, STOPPING=1) go over the pair instead, and the
supervisor speaks for the unit. When the supervisor goes away the pair reads EOF: the worker
drains and exits rather than serve on unsupervised.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkerLink:
    index: int  # 1..N
    listen: list[socket.socket]  # bound and listening, shared by all workers
    channel: socket.socket  # SOCK_SEQPACKET to the supervisor
    heartbeat_s: float | None  # WATCHDOG=1 to the supervisor this often (None: no watchdog)

    @classmethod
    def from_args(
        cls, index: int, listen_fds: str, channel_fd: int, heartbeat_s: float
    ) -> WorkerLink:
        return cls(
            index=index,
            listen=[socket.socket(fileno=int(fd)) for fd in listen_fds.split(",")],
            channel=socket.socket(fileno=channel_fd),
            heartbeat_s=heartbeat_s or None,
        )


def worker_argv(
    index: int, listen_fds: list[int], channel_fd: int, heartbeat_s: float | None
) -> list[str]:
    """The arguments WorkerLink.from_args reads back (see __main__)."""
    return [
        "--worker",
        str(index),
        "--listen-fds",
        ",".join(map(str, listen_fds)),
        "--channel-fd",
        str(channel_fd),
        "--heartbeat-s",
        str(heartbeat_s or 0),
    ]


class ChannelNotifier:
    """The Notifier of a worker: its sd_notify lines go to the supervisor."""

    enabled = True

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self._lock = threading.Lock()

    def notify(self, *lines: str) -> bool:
        try:
            with self._lock:
                self.channel.send("\n".join(lines).encode())
        except OSError:
            return False
        return True

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")


def on_supervisor_gone(channel: socket.socket, then: Callable[[], None]) -> None:
    """Call `then` (in a thread) once the supervisor's end of the pair is closed."""

    def watch() -> None:
        while True:
            try:
                if not channel.recv(256):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        then()

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


class _Probe:
    """A task for waitress' thread pool that only says it ran."""

    def __init__(self, done: threading.Event) -> None:
        self.done = done
        self.requests: list[Any] = []  # read by SheddingDispatcher: none, never shed

    def defer(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def service(self) -> None:
        self.done.set()


def loop_and_threads_answer(server: Any, timeout: float) -> bool:
    """True when the worker's event loop and then one of its request threads ran a probe
    within `timeout` (what /healthz through the socket proves with one process; with several,
    a connection to the port may reach any worker)."""
    done = threading.Event()
    probe = _Probe(done)
    from hailo_inference.waitress_adapter import run_in_pool  # not in the supervisor

    run_in_pool(server, probe)
    return done.wait(timeout)

"""server.workers > 1: the main process binds the port once, runs N workers, speaks for the unit.

Each worker is a fresh interpreter (never a fork of a process that loaded ONNX Runtime or
HailoRT) running the ordinary daemon on the inherited listening sockets (worker.py). The
supervisor:
- sends READY=1 once every worker reported READY=1, STATUS= with n/N workers ready;
- sends WATCHDOG=1 only while every worker serves and heartbeats (its event loop and a request
  thread answered within the interval);
- restarts a worker that dies, after a backoff (0.5 s doubling to 30 s, back to 0.5 s once a
  worker served for BACKOFF_RESET_S);
- SIGHUP: RELOADING=1, SIGHUP to each worker (each swaps with zero failed requests), READY=1
  once each reported its reload done;
- SIGTERM/SIGINT: STOPPING=1, SIGTERM to each worker (each drains), exits when all have;
- a worker that cannot load its model (exit 3) or read its config (exit 2) before the daemon
  was ever ready stops everything with that exit code: the unit's restart policy decides, not
  an endless restart loop here.
Metrics: every process writes prometheus_client's multiprocess files in one folder, wiped
here at start, and a dead worker's live gauges are removed (mark_process_dead).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hailo_inference.config import Config
from hailo_inference.http_guard import bind_sockets
from hailo_inference.logs import configure_logging, get_logger
from hailo_inference.metric_names import MULTIPROC_ENV
from hailo_inference.sdnotify import Notifier, watchdog_interval_s
from hailo_inference.worker import worker_argv

EXIT_OK, EXIT_CONFIG, EXIT_MODEL = 0, 2, 3
BACKOFF_MIN_S, BACKOFF_MAX_S, BACKOFF_RESET_S = 0.5, 30.0, 30.0
HEARTBEAT_S = 1.0  # worker heartbeats without a systemd watchdog (for STATUS= only)
_NOT_INHERITED = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")


@dataclass
class Worker:
    index: int
    proc: subprocess.Popen | None = None
    channel: socket.socket | None = None
    ready: bool = False
    ready_at: float | None = None
    alive_at: float = 0.0
    status: str = ""
    hup_when_ready: bool = False  # a SIGHUP came while it loaded (it may have read the old link)
    backoff_s: float = BACKOFF_MIN_S
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)


def metrics_dir() -> tuple[Path, bool]:
    """(folder for the multiprocess metric files, whether it is ours to delete at exit):
    $PROMETHEUS_MULTIPROC_DIR, else the unit's RuntimeDirectory, else a new temporary one."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        return Path(given), False
    runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if runtime:
        return Path(runtime) / "metrics", False
    return Path(tempfile.mkdtemp(prefix="hailo-inference-metrics-")), True


class Supervisor:
    def __init__(self, cfg: Config, config_path: str | None) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.n = cfg.server.workers
        configure_logging(cfg.logging.level, cfg.logging.file, {"worker": 0, "pid": os.getpid()})
        self.log = get_logger()
        self.notifier = Notifier.from_env()
        self.watchdog_s = watchdog_interval_s() if self.notifier.enabled else None
        self.workers = [Worker(i) for i in range(1, self.n + 1)]
        self.sel = selectors.DefaultSelector()
        self.sockets: list[socket.socket] = []
        self.signals: list[int] = []
        self.stopping = False
        self.exit_code: int | None = None
        self.ready_sent = False
        self.reload_pending: set[int] = set()
        self.metrics_dir, self._own_metrics_dir = Path(), False  # chosen once bound
        self._last_status = ""
        self._next_watchdog = 0.0

    # ---- start --------------------------------------------------------------------------
    def run(self) -> int:
        s = self.cfg.server
        try:
            self.sockets = bind_sockets(s)
        except OSError as exc:
            # only now: the server module loads Flask and numpy, which the supervisor never needs
            from hailo_inference.server import log_bind_failed

            return log_bind_failed(self.log, s.host, s.port, exc)
        self.metrics_dir, self._own_metrics_dir = metrics_dir()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)  # no counts of an earlier run
        self.metrics_dir.mkdir(parents=True, mode=0o700)
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        self.sel.register(wake_r, selectors.EVENT_READ, None)
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, self._on_signal)
        self.log.info(
            "supervisor_startup",
            workers=self.n,
            listen=f"{s.host}:{s.port}",
            metrics_dir=str(self.metrics_dir),
            systemd_notify=self.notifier.enabled,
        )
        self._status()
        for w in self.workers:
            self._start(w)
        try:
            self._loop(wake_r)
        finally:
            for sock in self.sockets:
                sock.close()
            if self._own_metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)
        code = self.exit_code if self.exit_code is not None else self._drain_code()
        self.log.info("exit", code=code)
        return code

    def _start(self, w: Worker) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = [sock.fileno() for sock in self.sockets]
        beat = self.watchdog_s or HEARTBEAT_S
        argv = [sys.executable, "-m", "hailo_inference"]
        if self.config_path:
            argv += ["--config", self.config_path]
        argv += worker_argv(w.index, fds, theirs.fileno(), beat)
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env[MULTIPROC_ENV] = str(self.metrics_dir)
        w.proc = subprocess.Popen(argv, env=env, pass_fds=(*fds, theirs.fileno()))
        theirs.close()
        w.channel, w.ready, w.ready_at, w.restart_at = ours, False, None, None
        w.alive_at = time.monotonic()
        self.sel.register(ours, selectors.EVENT_READ, w)
        self.log.info("worker_started", index=w.index, worker_pid=w.proc.pid)

    # ---- loop ---------------------------------------------------------------------------
    def _loop(self, wake: socket.socket) -> None:
        while True:
            for key, _ in self.sel.select(self._timeout()):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        while wake.recv(512):
                            pass
                else:
                    self._receive(key.data)
            while self.signals:
                self._handle_signal(self.signals.pop(0))
            self._reap()
            if self.stopping and not any(w.proc for w in self.workers):
                return
            now = time.monotonic()
            for w in self.workers:
                if w.proc is None and w.restart_at is not None and now >= w.restart_at:
                    self._start(w)
                    self.log.info("worker_restarted", index=w.index, worker_pid=w.proc.pid)
            self._watchdog(now)

    def _timeout(self) -> float:
        due = [w.restart_at for w in self.workers if w.proc is None and w.restart_at]
        if self.watchdog_s:
            due.append(self._next_watchdog)
        return max(0.0, min(due) - time.monotonic()) if due else 1.0

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)  # handled in the loop (set_wakeup_fd woke it)

    def _handle_signal(self, signum: int) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            if self.stopping:
                self.log.warning("signal_ignored", signal=signum, reason="already draining")
                return
            self._stop(signum)
        elif signum == signal.SIGHUP:
            self._reload()

    def _stop(self, signum: int | None) -> None:
        self.stopping = True
        self.notifier.notify("STOPPING=1", "STATUS=draining")
        self.log.info("supervisor_stopping", signal=signum)
        for w in self.workers:
            w.restart_at = None
            self._kill(w, signal.SIGTERM)

    def _reload(self, done: int | None = None) -> None:
        """SIGHUP to every worker (but `done`, a worker whose /admin/reload already swapped)."""
        if self.stopping:
            self.log.warning("reload_ignored", reason="draining")
            return
        self.notifier.reloading()
        others = [w for w in self.workers if w.index != done]
        self.reload_pending = {w.index for w in others if w.proc and w.ready}
        self.log.info("reload_fanout", workers=sorted(self.reload_pending), source=done or "sighup")
        for w in others:
            if w.ready:
                self._kill(w, signal.SIGHUP)
            elif w.proc is not None:  # still loading: SIGHUP it once it serves
                w.hup_when_ready = True
        self._reloaded()

    def _reloaded(self) -> None:
        if not self.reload_pending and self.ready_sent:
            self.notifier.notify("READY=1", self._status_line())

    def _kill(self, w: Worker, sig: int) -> None:
        if w.proc is not None and w.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(w.proc.pid, sig)

    # ---- what workers say ---------------------------------------------------------------
    def _receive(self, w: Worker) -> None:
        assert w.channel is not None
        try:
            data = w.channel.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker is gone: reaped below
            self.sel.unregister(w.channel)
            w.channel.close()
            w.channel = None
            return
        msg = dict(line.partition("=")[::2] for line in data.decode(errors="replace").split("\n"))
        now = time.monotonic()
        w.alive_at = now
        if "STATUS" in msg:
            w.status = msg["STATUS"]
        if msg.get("RELOAD_OTHERS") == "1":  # its /admin/reload swapped: the others follow
            self._reload(done=w.index)
        if msg.get("READY") == "1":
            if not w.ready:
                w.ready, w.ready_at = True, now
                self.log.info("worker_ready", index=w.index, worker_pid=w.proc and w.proc.pid)
                if w.hup_when_ready:
                    w.hup_when_ready = False
                    self._kill(w, signal.SIGHUP)
            if w.index in self.reload_pending:
                self.reload_pending.discard(w.index)
                self._reloaded()
        self._status()

    def _reap(self) -> None:
        for w in self.workers:
            if w.proc is None or w.proc.poll() is None:
                continue
            code, pid = w.proc.returncode, w.proc.pid
            w.proc, w.ready, w.hup_when_ready = None, False, False
            w.exits.append(code)
            if w.channel is not None:
                self.sel.unregister(w.channel)
                w.channel.close()
                w.channel = None
            self.reload_pending.discard(w.index)
            self._mark_dead(pid)
            self._exited(w, code, pid)
            self._reloaded()
            self._status()

    def _exited(self, w: Worker, code: int, pid: int) -> None:
        served_before = w.ready_at is not None
        if self.stopping:
            self.log.info("worker_exited", index=w.index, worker_pid=pid, code=code)
            return
        if not self.ready_sent and code in (EXIT_CONFIG, EXIT_MODEL):
            self.log.error(
                "worker_failed_at_start",
                index=w.index,
                worker_pid=pid,
                code=code,
                hint="the config or the model is refused (the worker logged why): stopping all "
                "workers with that exit code",
            )
            self.exit_code = code
            self._stop(None)
            return
        now = time.monotonic()
        if served_before and w.ready_at is not None and now - w.ready_at >= BACKOFF_RESET_S:
            w.backoff_s = BACKOFF_MIN_S
        w.restart_at = now + w.backoff_s
        self.log.warning(
            "worker_died",
            index=w.index,
            worker_pid=pid,
            code=code,
            restart_in_s=w.backoff_s,
            hint="restarting it; the other workers serve meanwhile",
        )
        w.backoff_s = min(w.backoff_s * 2, BACKOFF_MAX_S)
        w.ready_at = None

    def _mark_dead(self, pid: int) -> None:
        from prometheus_client import multiprocess

        try:
            multiprocess.mark_process_dead(pid, str(self.metrics_dir))
        except OSError as exc:
            self.log.warning("metrics_cleanup_failed", worker_pid=pid, error=str(exc))

    def _drain_code(self) -> int:
        """0 when every worker drained (0) or was stopped while still loading (SIGTERM)."""
        last = [w.exits[-1] for w in self.workers if w.exits]
        return EXIT_OK if all(c in (0, -signal.SIGTERM) for c in last) else 1

    # ---- systemd ------------------------------------------------------------------------
    def _status_line(self) -> str:
        ready = sum(w.ready for w in self.workers)
        serving = next((w.status for w in self.workers if w.ready and w.status), "")
        what = serving or ("draining" if self.stopping else "starting")
        return f"STATUS={what} ({ready}/{self.n} workers ready)"

    def _status(self) -> None:
        line = self._status_line()
        all_ready = all(w.ready for w in self.workers)
        if all_ready and not self.ready_sent and not self.stopping:
            self.ready_sent = True
            self._last_status = line
            self.notifier.notify("READY=1", line)
            self.log.info("ready", workers=self.n)
            self._next_watchdog = time.monotonic()
        elif line != self._last_status:
            self._last_status = line
            self.notifier.notify(line)

    def _watchdog(self, now: float) -> None:
        """WATCHDOG=1 only while every worker is ready and heartbeated within 2 intervals."""
        if not self.watchdog_s or not self.ready_sent or now < self._next_watchdog:
            return
        self._next_watchdog = now + self.watchdog_s
        stale = [
            w.index
            for w in self.workers
            if not w.ready or now - w.alive_at > 2 * self.watchdog_s + 0.05
        ]
        if not stale and not self.stopping:
            self.notifier.notify("WATCHDOG=1")
        elif not self.stopping:
            self.log.warning("watchdog_withheld", workers_not_serving=stale)


def supervise(cfg: Config, config_path: str | None) -> int:
    return Supervisor(cfg, config_path).run()

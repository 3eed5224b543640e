"""Run the daemon: waitress on the configured address, signals, drain, reload, systemd notify."""

from __future__ import annotations

import _thread
import contextlib
import errno
import http.client
import os
import platform
import signal
import socket
import threading
import time
from typing import Any

from hailo_inference import __version__
from hailo_inference.app import State, create_app
from hailo_inference.config import Config
from hailo_inference.http_guard import Guard, make_server
from hailo_inference.logs import configure_logging, get_logger
from hailo_inference.metrics import Metrics
from hailo_inference.sdnotify import Notifier, watchdog_interval_s
from hailo_inference.service import LoadError, ModelService
from hailo_inference.telemetry import Telemetry
from hailo_inference.waitress_adapter import pending_output
from hailo_inference.worker import (
    ChannelNotifier,
    WorkerLink,
    loop_and_threads_answer,
    on_supervisor_gone,
)

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_MODEL = 3
EXIT_BIND = 4


def _probe_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


# How to choose another address: the environment, the config file, the Ansible role.
PORT_CHOICE = (
    "HAILO_INFERENCE_SERVER_PORT=<port> (config key server.port; "
    "on a deployed host the role variable hailo_inference_port)"
)
HOST_CHOICE = (
    "HAILO_INFERENCE_SERVER_HOST=<address> (config key server.host; "
    "on a deployed host the role variable hailo_inference_listen_host)"
)


def bind_hint(host: str, port: int, exc: OSError) -> str:
    """What to do about a failed bind, naming the setting that chooses another port/address."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"another process holds port {port}: stop it, or choose another port with {PORT_CHOICE}"
        )
    if exc.errno == errno.EACCES:
        return (
            f"port {port} needs privileges this process lacks (below 1024?): "
            f"choose another port with {PORT_CHOICE}"
        )
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return f"{host} is not an address of this machine: choose another with {HOST_CHOICE}"
    return (
        f"cannot listen on {host}:{port}: choose another port with {PORT_CHOICE}, "
        f"or another address with {HOST_CHOICE}"
    )


def log_bind_failed(log: Any, host: str, port: int, exc: OSError) -> int:
    """The daemon (server.workers 1) and the supervisor (> 1) stop here with exit 4."""
    log.error(
        "bind_failed",
        host=host,
        port=port,
        error=str(exc),
        hint=bind_hint(host, port, exc),
    )
    return EXIT_BIND


class Daemon:
    """One serving process: the whole daemon (server.workers 1), or one worker of several
    (`worker` given: it serves the supervisor's sockets and reports to it, see worker.py)."""

    def __init__(self, cfg: Config, worker: WorkerLink | None = None) -> None:
        self.cfg = cfg
        self.worker = worker
        static = None if worker is None else {"worker": worker.index, "pid": os.getpid()}
        configure_logging(cfg.logging.level, cfg.logging.file, static)
        self.log = get_logger()
        self.metrics = Metrics(temperatures=self._temperatures)
        self.service = ModelService(cfg.model, self.metrics, self.log)
        self.state = State(cfg, self.service, self.metrics, self.log)
        self.state.worker = None if worker is None else worker.index
        self.app = create_app(self.state)
        if cfg.telemetry.get("enabled"):
            tag = "" if worker is None else f"w{worker.index}"
            reg = self.metrics.registry
            self.state.telemetry = Telemetry.start(cfg.telemetry, reg, self.log, writer_tag=tag)
        self.notifier: Notifier | ChannelNotifier = (
            Notifier.from_env() if worker is None else ChannelNotifier(worker.channel)
        )
        self.exit_code = EXIT_OK
        self.server: Any = None
        self._stopping = threading.Event()

    def _temperatures(self) -> dict[str, float]:
        svc = getattr(self, "service", None)
        return svc.temperatures() if svc else {}

    # ---- lifecycle -----------------------------------------------------------------------
    def run(self) -> int:
        s = self.cfg.server
        # Bounded everything (http_guard): connections below the open-file limit, request read
        # deadlines, inference beyond the free threads/slots answered 503 in the event loop.
        guard = Guard(self.log, self.metrics, self.state.admission.saturated)
        sockets = None if self.worker is None else self.worker.listen
        try:
            self.server = make_server(self.app, s, guard, sockets=sockets)
        except OSError as exc:
            return log_bind_failed(self.log, s.host, s.port, exc)
        self.log.info(
            "startup",
            version=__version__,
            pid=os.getpid(),
            python=platform.python_version(),
            listen=f"{s.host}:{s.port}",
            waitress_threads=self.server.limits.threads,
            connection_limit=self.server.limits.connection_limit,
            config=self.cfg.as_dict(),
            systemd_notify=self.notifier.enabled,
        )
        if s.host not in ("127.0.0.1", "::1", "localhost"):
            self.log.warning(
                "listening_beyond_loopback",
                host=s.host,
                hint="the API has no authentication: firewall it",
            )
        if self.worker is not None:
            self.state.reload_others = lambda: self.notifier.notify("RELOAD_OTHERS=1")
            # A worker takes no connection before its model serves (the others answer them
            # meanwhile): it loads first, with the loop not running yet. A SIGHUP meanwhile may
            # come after the load read current/: it reloads once loaded. SIGTERM ends it.
            hup: list[int] = []
            signal.signal(signal.SIGHUP, lambda signum, frame: hup.append(signum))
            if not self._load():
                self.server.close()
                return self.exit_code
            if hup:
                self._on_hup(signal.SIGHUP, None)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, self._on_hup)
        signal.signal(signal.SIGUSR2, self._on_exit)  # raised by _stop_loop (internal)
        if self.worker is None:
            threading.Thread(target=self._load, name="load", daemon=True).start()
        else:
            on_supervisor_gone(self.worker.channel, self._supervisor_gone)
        self.state.request_ticker.start()  # request_summary every logging.summary_interval_s
        with contextlib.suppress(SystemExit):  # raised before waitress' loop caught it
            self.server.run()
        self.server.close()
        self.state.request_log.flush()  # the last interval's counts
        if self.state.telemetry is not None:
            self.state.telemetry.close()
        self.log.info("exit", code=self.exit_code)
        return self.exit_code

    def _load(self) -> bool:
        try:
            served = self.service.start()
        except LoadError as exc:
            self.state.load_error = str(exc)
            self.log.error("model_load_failed", error=str(exc), path=self.cfg.model.artifact)
            self.exit_code = EXIT_MODEL
            if self.worker is None:
                self._stop_loop()
            return False
        self.metrics.ready.set(1)
        self.log.info("ready", model=served.artifact.ref, backend=served.backend.kind)
        self.notifier.notify(
            "READY=1", f"STATUS=serving {served.artifact.ref} on {served.backend.kind}"
        )
        interval = watchdog_interval_s() if self.worker is None else self.worker.heartbeat_s
        if interval and self.notifier.enabled:
            threading.Thread(target=self._watchdog, args=(interval,), daemon=True).start()
        return True

    def _probe(self, interval: float) -> bool:
        if self.worker is not None:
            return loop_and_threads_answer(self.server, interval)
        host, port = _probe_host(self.cfg.server.host), self.cfg.server.port
        try:
            c = http.client.HTTPConnection(host, port, timeout=interval)
            c.request("GET", "/healthz", headers={"X-Request-ID": "systemd-watchdog"})
            ok = c.getresponse().status == 200
            c.close()
        except OSError:
            ok = False
        return ok

    def _watchdog(self, interval: float) -> None:
        """WATCHDOG=1 only while /healthz answers through the real server (loop + threads);
        a worker probes its own loop and threads (a connection may reach another worker)."""
        while not self._stopping.is_set():
            t0 = time.monotonic()
            ok = self._probe(interval)
            if ok and not self._stopping.is_set():
                self.notifier.notify("WATCHDOG=1")
            else:
                self.log.warning("watchdog_probe_failed")
            self._stopping.wait(max(0.0, interval - (time.monotonic() - t0)))

    def _on_hup(self, signum: int, frame: Any) -> None:
        threading.Thread(target=self._reload, name="reload", daemon=True).start()

    def _reload(self) -> None:
        if self.state.draining.is_set() or self.service.served is None:
            self.log.warning("reload_ignored", reason="draining or not loaded yet")
            return
        self.notifier.reloading()
        res = self.service.reload("sighup")
        s = self.service.served
        status = f"STATUS=serving {s.artifact.ref} on {s.backend.kind}" if s else "STATUS=?"
        if not res.ok:
            status += f" (reload refused: {(res.error or '')[:200]})"
        self.notifier.notify("READY=1", status)

    def _on_term(self, signum: int, frame: Any) -> None:
        if self._stopping.is_set():
            self.log.warning("signal_ignored", signal=signum, reason="already draining")
            return
        self._stopping.set()
        self.state.draining.set()
        self.metrics.ready.set(0)
        self.notifier.notify("STOPPING=1", "STATUS=draining")
        threading.Thread(target=self._drain, args=(signum,), name="drain", daemon=True).start()

    def _pending_output(self) -> bool:
        return pending_output(self.server)

    def _drain(self, signum: int) -> None:
        t0 = time.monotonic()
        deadline = t0 + self.cfg.server.drain_timeout_s
        self.log.info("drain_started", signal=signum, in_flight=self.state.active)
        while time.monotonic() < deadline and (self.state.active > 0 or self._pending_output()):
            time.sleep(0.005)
        left = self.state.active
        self.log.log(
            30 if left else 20,
            "drain_finished",
            in_flight_left=left,
            drain_s=round(time.monotonic() - t0, 3),
        )
        self._stop_loop()

    def _supervisor_gone(self) -> None:
        if not self._stopping.is_set():
            self.log.warning("supervisor_gone", hint="draining: a worker never serves alone")
            os.kill(os.getpid(), signal.SIGTERM)

    def _on_exit(self, signum: int, frame: Any) -> None:
        raise SystemExit(self.exit_code)  # waitress' run() catches it and stops its threads

    def _stop_loop(self) -> None:
        _thread.interrupt_main(signal.SIGUSR2)
        if self.server is not None:
            self.server.pull_trigger()


def serve(cfg: Config, worker: WorkerLink | None = None) -> int:
    return Daemon(cfg, worker).run()

"""Run the daemon: waitress on the configured address, signals, drain, reload, systemd notify."""

from __future__ import annotations

import _thread
import contextlib
import http.client
import os
import platform
import signal
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

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_MODEL = 3
EXIT_BIND = 4


def _probe_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


class Daemon:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        configure_logging(cfg.logging.level, cfg.logging.file)
        self.log = get_logger()
        self.metrics = Metrics(temperatures=self._temperatures)
        self.service = ModelService(cfg.model, self.metrics, self.log)
        self.state = State(cfg, self.service, self.metrics, self.log)
        self.app = create_app(self.state)
        if cfg.telemetry.get("enabled"):
            self.state.telemetry = Telemetry.start(cfg.telemetry, self.metrics.registry, self.log)
        self.notifier = Notifier.from_env()
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
        guard = Guard(self.log, self.metrics, self.state.saturated)
        try:
            self.server = make_server(self.app, s, guard)
        except OSError as exc:
            self.log.error(
                "bind_failed",
                host=s.host,
                port=s.port,
                error=str(exc),
                hint="another process holds the port, or the address is not local",
            )
            return EXIT_BIND
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
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, self._on_hup)
        signal.signal(signal.SIGUSR2, self._on_exit)  # raised by _stop_loop (internal)
        threading.Thread(target=self._load, name="load", daemon=True).start()
        with contextlib.suppress(SystemExit):  # raised before waitress' loop caught it
            self.server.run()
        self.server.close()
        if self.state.telemetry is not None:
            self.state.telemetry.close()
        self.log.info("exit", code=self.exit_code)
        return self.exit_code

    def _load(self) -> None:
        try:
            served = self.service.start()
        except LoadError as exc:
            self.state.load_error = str(exc)
            self.log.error("model_load_failed", error=str(exc), path=self.cfg.model.artifact)
            self.exit_code = EXIT_MODEL
            self._stop_loop()
            return
        self.metrics.ready.set(1)
        self.notifier.notify(
            "READY=1", f"STATUS=serving {served.artifact.ref} on {served.backend.kind}"
        )
        self.log.info("ready", model=served.artifact.ref, backend=served.backend.kind)
        interval = watchdog_interval_s()
        if interval and self.notifier.enabled:
            threading.Thread(target=self._watchdog, args=(interval,), daemon=True).start()

    def _watchdog(self, interval: float) -> None:
        """WATCHDOG=1 only while /healthz answers through the real server (loop + threads)."""
        host, port = _probe_host(self.cfg.server.host), self.cfg.server.port
        while not self._stopping.is_set():
            t0 = time.monotonic()
            try:
                c = http.client.HTTPConnection(host, port, timeout=interval)
                c.request("GET", "/healthz", headers={"X-Request-ID": "systemd-watchdog"})
                ok = c.getresponse().status == 200
                c.close()
            except OSError:
                ok = False
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
        srv = self.server
        return any(
            getattr(ch, "total_outbufs_len", 0) for ch in list(srv._map.values()) if ch is not srv
        )

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

    def _on_exit(self, signum: int, frame: Any) -> None:
        raise SystemExit(self.exit_code)  # waitress' run() catches it and stops its threads

    def _stop_loop(self) -> None:
        _thread.interrupt_main(signal.SIGUSR2)
        if self.server is not None:
            self.server.pull_trigger()


def serve(cfg: Config) -> int:
    return Daemon(cfg).run()

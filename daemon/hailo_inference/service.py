"""The model being served: load + verify + warm up + golden gate, atomic swap, runtime fallback."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from edge_artifact import Artifact, ArtifactError, HostTail, load_artifact
from edge_artifact.names import MANIFEST

from hailo_inference import pipeline
from hailo_inference.backends.base import Backend, BackendError, BackendTimeout, BackendUnavailable
from hailo_inference.backends.registry import open_backend
from hailo_inference.config import ModelConfig
from hailo_inference.golden import GoldenReport, check_golden
from hailo_inference.memory import release_free_memory
from hailo_inference.metrics import Metrics
from hailo_inference.selection import choose, keeps_standby
from hailo_inference.validation import InputLimits

TIMEOUTS_BEFORE_FALLBACK = 3
LOAD_TIMEOUT_S = 30.0
GOLDEN_CHUNK = 16  # windows per run during the golden check (bounds the backend's peak memory)


class LoadError(Exception):
    """An artifact/backend combination that must not serve; the message says why and what to do."""


class NonFiniteOutput(Exception):
    """The model produced NaN/inf for a valid input: a model or backend bug (a 500 incident)."""


class Lease:
    """Counts the requests using one Served; runs `on_idle` once it is retired and unused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._on_idle: Any = None
        self.retired = False

    def acquire(self) -> None:
        self._count(+1)

    def release(self) -> None:
        self._count(-1)

    def _count(self, delta: int) -> None:
        with self._lock:
            self._users += delta
            cb = self._take_idle()
        if cb:
            cb()

    def retire(self, on_idle: Any) -> None:
        """Call `on_idle` now if nobody uses it, else when the last user releases it."""
        with self._lock:
            self.retired = True
            self._on_idle = on_idle
            cb = self._take_idle()
        if cb:
            cb()

    def _take_idle(self) -> Any:
        if self._users or not self.retired or self._on_idle is None:
            return None
        cb, self._on_idle = self._on_idle, None
        return cb


@dataclass(frozen=True)
class Served:
    """Everything one request needs, swapped as a unit (attribute assignment is atomic)."""

    artifact: Artifact
    manifest_sha256: str
    tail: HostTail
    backend: Backend
    golden: GoldenReport
    loaded_at: float
    fallback: Backend | None = None  # a golden-checked onnx backend kept ready behind hailo
    fallback_golden: GoldenReport | None = None
    fallback_info: dict | None = None  # set when this is the result of a fallback
    limits: InputLimits | None = None  # what a raw window may hold (validation.InputLimits)
    lease: Lease = field(default_factory=Lease, compare=False)  # requests using it

    def infer(self, x: np.ndarray, timeout_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Raw windows -> latent, motif scores on this model's backend (pipeline.infer)."""
        return pipeline.infer(self.tail, self.backend, x, timeout_s)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    model: str | None  # name@version serving after the reload
    manifest_sha256: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The /admin/reload body: ok and model, then the sha256 or the error."""
        out: dict[str, Any] = {"ok": self.ok}
        if self.error is not None:
            out["error"] = self.error
        out["model"] = self.model
        if self.manifest_sha256 is not None:
            out["manifest_sha256"] = self.manifest_sha256
        return out


class ModelService:
    def __init__(self, cfg: ModelConfig, metrics: Metrics, log: Any) -> None:
        self.cfg = cfg
        self.metrics = metrics
        self.log = log
        self.served: Served | None = None
        self._swap = threading.Lock()
        self._reload = threading.Lock()  # guards _running: one reload at a time, others join it
        self._running: Future[ReloadResult] | None = None
        self._timeouts = 0
        self.builds = 0  # models built (load + golden) since start: reload coalescing shows here

    # ---- loading -------------------------------------------------------------------------
    def _golden(self, art: Artifact, tail: HostTail, be: Backend) -> GoldenReport:
        if be.is_stub:
            return GoldenReport(
                True, be.kind, message="stub backend: golden check skipped (NOT a model)"
            )

        def infer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # In chunks: one 256-window run would grow ONNX Runtime's arena to ~16x what serving
            # ever needs, and the arena keeps that peak for the session's lifetime.
            return pipeline.infer_chunked(tail, be, x, LOAD_TIMEOUT_S, GOLDEN_CHUNK)

        try:
            for _ in range(3):  # warm-up: first runs allocate
                infer(np.zeros((1, tail.window, tail.channels), np.float32))
            rep = check_golden(art, be.kind, infer)
        except BackendError as exc:
            raise LoadError(f"{be.kind} backend failed during warm-up/golden check: {exc}") from exc
        if not rep.ok:
            raise LoadError(
                f"{art.path}: {be.kind} backend does not reproduce golden.npz: {rep.message}; "
                "the artifact is inconsistent or the backend is broken: rebuild/re-copy it"
            )
        return rep

    def build(self, path: str) -> Served:
        """Load and fully verify the artifact at `path`; nothing is published here."""
        t0 = time.monotonic()
        self.builds += 1
        # The real directory: a `current` symlink may move on while this one keeps serving.
        path = str(Path(path).resolve())
        try:
            art = load_artifact(path, verify=True)
            tail = HostTail.from_manifest(art.manifest)
            limits = InputLimits.from_manifest(art.manifest, tail)
        except ArtifactError as exc:
            raise LoadError(str(exc)) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise LoadError(f"{path}/{MANIFEST} lacks or mangles {exc}; rebuild") from exc
        try:
            choice = choose(self.cfg, art, self.log)
        except BackendUnavailable as exc:
            raise LoadError(f"backend {self.cfg.backend!r} unavailable: {exc}") from exc
        primary, fallback_info = choice.backend, choice.fallback_info
        if fallback_info is not None:
            self.metrics.fallbacks.labels(fallback_info["from"], fallback_info["to"]).inc()
        golden = self._golden(art, tail, primary)
        fb, fb_golden = None, None
        if keeps_standby(self.cfg, primary):
            try:
                fb = open_backend("onnx", art, self.cfg)
                fb_golden = self._golden(art, tail, fb)
            except (BackendUnavailable, LoadError) as exc:
                self.log.warning("fallback_unavailable", reason=str(exc))
                fb = None
        served = Served(
            art,
            art.manifest_sha256,
            tail,
            primary,
            golden,
            time.time(),
            fb,
            fb_golden,
            fallback_info,
            limits,
        )
        self.log.info(
            "model_loaded",
            model=art.ref,
            path=str(art.path),
            manifest_sha256=served.manifest_sha256,
            inputs_sha256=art.manifest.inputs_sha256,
            backend=primary.kind,
            backend_info=primary.describe(),
            stub=primary.is_stub,
            golden=golden.as_dict(),
            fallback_ready=fb is not None,
            load_s=round(time.monotonic() - t0, 3),
        )
        return served

    def _publish(self, s: Served) -> None:
        with self._swap:
            self.served = s
            self._timeouts = 0
        a = s.artifact
        self.metrics.set_model(
            a.name, a.version, s.backend.kind, s.manifest_sha256, s.backend.is_stub
        )
        self.metrics.golden_min_cosine.set(s.golden.figures.get("latent_min_cosine", float("nan")))

    def start(self) -> Served:
        s = self.build(self.cfg.artifact)
        self._publish(s)
        return s

    def reload(self, reason: str = "sighup") -> ReloadResult:
        """Load the configured artifact again; swap only if it passes every check.

        Reloads are serialized and coalesced: a reload asked for while one runs joins it and gets
        its result, so a storm of SIGHUPs / admin calls builds one model, not one each."""
        with self._reload:
            running = self._running
            if running is None:
                mine: Future[ReloadResult] = Future()
                self._running = mine
        if running is not None:
            self.metrics.reloads.labels("joined").inc()
            self.log.info("reload_joined", reason=reason)
            return running.result()
        try:
            res = self._reload_once(reason)
            mine.set_result(res)
            return res
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._reload:
                self._running = None

    def _reload_once(self, reason: str) -> ReloadResult:
        old = self.served
        self.log.info("reload_started", reason=reason, path=self.cfg.artifact)
        try:
            new = self.build(self.cfg.artifact)
        except LoadError as exc:
            self.metrics.reloads.labels("refused").inc()
            self.log.error("reload_refused", reason=reason, error=str(exc))
            release_free_memory()
            return ReloadResult(False, old.artifact.ref if old else None, error=str(exc))
        self._publish(new)
        self.metrics.reloads.labels("swapped").inc()
        self.log.info("reload_swapped", model=new.artifact.ref, sha256=new.manifest_sha256)
        if old is not None:
            self._retire(old, new)
        return ReloadResult(True, new.artifact.ref, new.manifest_sha256)

    def _retire(self, old: Served, new: Served) -> None:
        """Close the old backends as soon as the last request using them has finished."""
        keep = {id(new.backend), id(new.fallback)}
        todo = [b for b in (old.backend, old.fallback) if b is not None and id(b) not in keep]

        def close() -> None:
            for b in todo:
                b.close()
            release_free_memory()
            self.log.info("model_released", model=old.artifact.ref, path=str(old.artifact.path))

        old.lease.retire(close)

    def temperatures(self) -> dict[str, float]:
        s = self.served
        return s.backend.temperatures() if s else {}

    # ---- serving -------------------------------------------------------------------------
    def _fall_back(self, s: Served, why: str) -> Served:
        with self._swap:
            if self.served is s and s.fallback is not None:
                info = {"from": s.backend.kind, "to": s.fallback.kind, "reason": why}
                info["at"] = time.time()
                new = replace(
                    s,
                    backend=s.fallback,
                    golden=s.fallback_golden or s.golden,
                    fallback=None,
                    fallback_golden=None,
                    fallback_info=info,
                )
                self.served = new
                self._timeouts = 0
                self.metrics.fallbacks.labels(s.backend.kind, s.fallback.kind).inc()
                self.log.error("backend_fallback", **info)
                a = s.artifact
                self.metrics.set_model(
                    a.name, a.version, new.backend.kind, s.manifest_sha256, False
                )
                threading.Thread(target=s.backend.close, daemon=True).start()
            current = self.served
        assert current is not None
        return current

    def infer(self, x: np.ndarray, timeout_s: float) -> tuple[np.ndarray, np.ndarray, Served]:
        """Raw windows (N, T, C) -> latent (N, 64), motif scores (N, 12), and who served them."""
        with self._swap:
            s = self.served
            if s is None:
                raise BackendError("no model loaded")
            lease = s.lease
            lease.acquire()
        try:
            return self._infer(s, x, timeout_s)
        finally:
            lease.release()

    def _infer(
        self, s: Served, x: np.ndarray, timeout_s: float
    ) -> tuple[np.ndarray, np.ndarray, Served]:
        t0 = time.perf_counter()
        try:
            latent, scores = s.infer(x, timeout_s)
            self._timeouts = 0
        except BackendTimeout as exc:
            self._timeouts += 1
            if s.fallback is None or self._timeouts < TIMEOUTS_BEFORE_FALLBACK:
                raise
            s = self._fall_back(s, f"{TIMEOUTS_BEFORE_FALLBACK} consecutive timeouts: {exc}")
            t0 = time.perf_counter()
            latent, scores = s.infer(x, timeout_s)
        except BackendError as exc:
            if s.fallback is None:
                raise
            s = self._fall_back(s, str(exc))
            t0 = time.perf_counter()
            latent, scores = s.infer(x, timeout_s)
        kind = s.backend.kind
        self.metrics.compute.labels(kind).observe(time.perf_counter() - t0)
        self.metrics.windows.labels(kind).inc(x.shape[0])
        if not (np.isfinite(latent).all() and np.isfinite(scores).all()):
            self._non_finite(s, x, latent)
        return latent, scores, s

    def _non_finite(self, s: Served, x: np.ndarray, latent: np.ndarray) -> None:
        bad = int((~np.isfinite(latent)).any(axis=1).sum())
        self.metrics.non_finite.labels(s.backend.kind).inc()
        self.log.error(
            "non_finite_output",
            model=s.artifact.ref,
            backend=s.backend.kind,
            windows=int(x.shape[0]),
            windows_affected=bad,
            input_min=float(np.min(x)),
            input_max=float(np.max(x)),
            hint="the model or backend is broken for an input inside the declared range: "
            "report it with the request id; rebuild or roll back the artifact",
        )
        raise NonFiniteOutput(
            f"the model produced NaN/inf for {bad} of {x.shape[0]} window(s) "
            f"({s.artifact.ref} on {s.backend.kind}); logged as non_finite_output"
        )

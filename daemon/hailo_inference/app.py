"""The Flask application: routes from openapi.ROUTES, JSON errors, request ids, metrics, logs."""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

import numpy as np
import orjson
import structlog
from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hailo_inference import __version__
from hailo_inference.backends.base import BackendError, BackendTimeout
from hailo_inference.config import Config
from hailo_inference.errors import ApiError
from hailo_inference.metrics import Metrics
from hailo_inference.middleware import Counted
from hailo_inference.openapi import ROUTES, build_spec
from hailo_inference.service import ModelService
from hailo_inference.telemetry import Telemetry
from hailo_inference.validation import parse_json, windows

_RID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET = {"/healthz", "/readyz", "/metrics"}  # probes log at debug level
_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


class State:
    """What the routes share: config, model service, metrics, drain flag, in-flight bounds."""

    def __init__(self, cfg: Config, service: ModelService, metrics: Metrics, log: Any) -> None:
        self.cfg = cfg
        self.service = service
        self.metrics = metrics
        self.log = log
        self.started = time.monotonic()
        self.draining = threading.Event()
        self.load_error: str | None = None
        self.slots = threading.BoundedSemaphore(cfg.server.max_inflight)
        self._lock = threading.Lock()
        self.active = 0  # every request inside the WSGI app (for the SIGTERM drain)
        self.telemetry: Telemetry | None = None  # when telemetry.enabled

    def enter(self) -> None:
        with self._lock:
            self.active += 1

    def leave(self) -> None:
        with self._lock:
            self.active -= 1

    def ready(self) -> tuple[bool, str]:
        s = self.service.served
        if self.draining.is_set():
            return False, "draining (SIGTERM received)"
        if s is None:
            return False, self.load_error or "loading the model"
        if not s.golden.ok:
            return False, f"golden check failed: {s.golden.message}"
        return True, s.golden.message


def _json(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(obj, option=_NUMPY),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def create_app(state: State) -> Flask:
    app = Flask("hailo_inference")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    cfg = state.cfg.server
    svc = state.service
    m = state.metrics
    log = state.log

    def error(code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
        e = ApiError(code, detail, headers)
        g.error = code
        body = {"error": e.code, "detail": e.detail, "request_id": g.get("rid", "")}
        return _json(body, e.status, e.headers)

    @app.before_request
    def _begin() -> None:
        rid = request.headers.get("X-Request-ID", "")
        g.rid = rid if _RID.match(rid) else uuid.uuid4().hex
        g.t0 = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.rid)

    @app.after_request
    def _end(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("rid", "")
        dt = time.perf_counter() - g.get("t0", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else "unmatched"
        m.requests.labels(route, str(resp.status_code)).inc()
        m.latency.labels(route).observe(dt)
        emit = log.debug if request.path in _QUIET and resp.status_code < 400 else log.info
        emit(
            "request",
            method=request.method,
            path=request.path,
            status=resp.status_code,
            latency_ms=round(dt * 1000, 3),
            backend=g.get("backend"),
            windows=g.get("windows"),
            error=g.get("error"),
            remote=request.remote_addr,
        )
        return resp

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Response:
        return error(e.code, e.detail, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }.get(e.code or 400, "invalid_body")
        if code == "payload_too_large":
            m.rejections.labels("too_large").inc()
            return error(code, "body exceeds the size limit (server.max_body_bytes)")
        if code == "method_not_allowed":
            allowed = ", ".join(e.valid_methods or []) if hasattr(e, "valid_methods") else ""
            return error(code, f"{request.method} is not allowed here; use {allowed}")
        if code == "not_found":
            return error(code, f"no route {request.path}; see /openapi.json")
        return error(code, e.description or "bad request")

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> Response:
        log.error("internal_error", exc_info=e)
        return error("internal_error", f"{type(e).__name__}: {e}")

    def run_inference(batch: bool) -> Response:
        if state.draining.is_set():
            m.rejections.labels("draining").inc()
            raise ApiError(
                "draining",
                "shutting down; retry on the next instance",
                {"Retry-After": "1"},
            )
        served = svc.served
        if served is None:
            m.rejections.labels("not_ready").inc()
            raise ApiError("not_ready", "the model is still loading", {"Retry-After": "1"})
        mt = request.mimetype
        if mt != "application/json" and not mt.endswith("+json"):
            m.rejections.labels("invalid_input").inc()
            raise ApiError(
                "unsupported_media_type",
                f"Content-Type must be application/json, got {mt or 'none'!r}",
            )
        limit = cfg.max_body_bytes * (cfg.max_batch_windows if batch else 1)
        if request.content_length is not None and request.content_length > limit:
            m.rejections.labels("too_large").inc()
            raise ApiError(
                "payload_too_large",
                f"body of {request.content_length} bytes exceeds {limit} "
                f"(server.max_body_bytes{' x max_batch_windows' if batch else ''})",
            )
        if not state.slots.acquire(blocking=False):
            m.rejections.labels("overloaded").inc()
            raise ApiError(
                "overloaded",
                f"{cfg.max_inflight} requests already in flight (server.max_inflight); retry",
                {"Retry-After": "1"},
            )
        m.inflight.inc()
        try:
            request.max_content_length = limit
            raw = request.get_data(cache=False)
            try:
                x = windows(
                    parse_json(raw),
                    served.tail.window,
                    served.tail.channels,
                    batch,
                    cfg.max_batch_windows,
                    raw,
                )
            except ApiError:
                m.rejections.labels("invalid_input").inc()
                raise
            g.windows = int(x.shape[0])
            try:
                latent, scores, used = svc.infer(x, cfg.request_timeout_s)
            except BackendTimeout as exc:
                m.rejections.labels("timeout").inc()
                raise ApiError("timeout", str(exc)) from exc
            except BackendError as exc:
                raise ApiError("backend_error", str(exc), {"Retry-After": "5"}) from exc
        finally:
            m.inflight.dec()
            state.slots.release()
        g.backend = used.backend.kind
        if state.telemetry is not None:  # never blocks or raises
            state.telemetry.record(g.rid, used, time.perf_counter() - g.t0, latent, scores, x)
        if batch:
            body: dict[str, np.ndarray] = {"latent": latent, "motif_scores": scores}
        else:
            body = {"latent": latent[0], "motif_scores": scores[0]}
        return _json(body, headers={"X-Model": used.artifact.ref, "X-Backend": used.backend.kind})

    def infer() -> Response:
        return run_inference(batch=False)

    def infer_batch() -> Response:
        return run_inference(batch=True)

    def healthz() -> Response:
        s = svc.served
        ready, _ = state.ready()
        return _json(
            {
                "ok": True,
                "model": s.artifact.ref if s else None,
                "backend": s.backend.kind if s else None,
                "stub": bool(s and s.backend.is_stub),
                "artifact_sha256": s.manifest_sha256 if s else None,
                "artifact_path": str(s.artifact.path) if s else None,
                "uptime_s": round(time.monotonic() - state.started, 3),
                "ready": ready,
                "draining": state.draining.is_set(),
                "fallback": s.fallback_info if s else None,
                "version": __version__,
            }
        )

    def readyz() -> Response:
        ready, reason = state.ready()
        m.ready.set(1 if ready else 0)
        s = svc.served
        body = {"ready": ready, "reason": reason}
        if s is not None:
            body["golden"] = s.golden.as_dict()
        return _json(body, 200 if ready else 503, None if ready else {"Retry-After": "1"})

    def model() -> Response:
        s = svc.served
        if s is None:
            raise ApiError("not_ready", "the model is still loading", {"Retry-After": "1"})
        man = s.artifact.manifest
        files = man.get("files", {})
        return _json(
            {
                "name": s.artifact.name,
                "version": s.artifact.version,
                "ref": s.artifact.ref,
                "path": str(s.artifact.path),
                "manifest_sha256": s.manifest_sha256,
                "inputs_sha256": man.get("inputs_sha256"),
                "export_config_sha256": man.get("export_config_sha256"),
                "files": {k: v.get("sha256") for k, v in files.items()},
                "backend": s.backend.kind,
                "stub": s.backend.is_stub,
                "backend_info": s.backend.describe(),
                "fallback": s.fallback_info,
                "fallback_ready": s.fallback is not None,
                "input": {
                    "shape": [s.tail.window, s.tail.channels],
                    "batch_shape": ["N", s.tail.window, s.tail.channels],
                    "max_batch_windows": cfg.max_batch_windows,
                    **{k: man["input"].get(k) for k in ("channels", "units", "sample_rate_hz")},
                },
                "outputs": {
                    "latent": [int(man["latent_dim"])],
                    "motif_scores": [int(man["motifs"]["count"])],
                    "motif_definition": man["motifs"].get("definition"),
                },
                "normalization": {
                    **man["normalization"],
                    "on_chip": s.backend.normalization_on_chip,
                },
                "golden": s.golden.as_dict(),
                "loaded_at": s.loaded_at,
            }
        )

    def metrics() -> Response:
        return Response(generate_latest(m.registry), mimetype=CONTENT_TYPE_LATEST)

    spec = build_spec()

    def openapi() -> Response:
        return _json(spec)

    def index() -> Response:
        return _json({"service": "hailo-inference", "version": __version__, "routes": list(ROUTES)})

    def admin_reload() -> Response:
        if request.remote_addr not in _LOOPBACK:
            raise ApiError("forbidden", "reload is allowed from loopback clients only")
        res = svc.reload("admin")
        if not res.ok:
            raise ApiError("artifact_refused", res.error or "refused")
        return _json(res.as_dict())

    views = {
        f.__name__: f
        for f in (infer, infer_batch, healthz, readyz, model, metrics, openapi, index, admin_reload)
    }
    for rule, methods in ROUTES.items():
        for method, (view, *_rest) in methods.items():
            app.add_url_rule(
                rule, endpoint=f"{view}:{method}:{rule}", view_func=views[view], methods=[method]
            )
    app.wsgi_app = Counted(app.wsgi_app, state)  # type: ignore[method-assign]
    return app

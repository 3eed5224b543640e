"""The route handlers, one method per view name in openapi.ROUTES, over the shared State."""

from __future__ import annotations

import os
import time

import numpy as np
from flask import g, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from hailo_inference import __version__
from hailo_inference.backends.base import BackendError, BackendTimeout
from hailo_inference.errors import ApiError
from hailo_inference.openapi import ROUTES, build_spec
from hailo_inference.responses import json_response
from hailo_inference.service import NonFiniteOutput, Served
from hailo_inference.state import State
from hailo_inference.validation import parse_json, windows

_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


class Views:
    """Route handlers; `getattr(views, name)` is the view for a ROUTES entry named `name`."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.cfg = state.cfg.server
        self.svc = state.service
        self.m = state.metrics
        self.spec = build_spec()

    # --- inference -------------------------------------------------------------------------

    def infer(self) -> Response:
        return self._run_inference(batch=False)

    def infer_batch(self) -> Response:
        return self._run_inference(batch=True)

    def _admit(self, batch: bool) -> tuple[Served, int]:
        """Refuse what cannot be served now; the served model and the body limit otherwise."""
        cfg, m = self.cfg, self.m
        served = self.svc.served
        self.state.admission.check_serving(served is not None)
        assert served is not None
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
        return served, limit

    def _windows(self, served: Served, batch: bool, limit: int) -> np.ndarray:
        """The request body -> validated raw windows (N, T, C), or ApiError invalid_input."""
        request.max_content_length = limit
        raw = request.get_data(cache=False)
        try:
            x = windows(
                parse_json(raw),
                served.tail.window,
                served.tail.channels,
                batch,
                self.cfg.max_batch_windows,
                raw,
            )
            if served.limits is not None:
                served.limits.check(x)
        except ApiError:
            self.m.rejections.labels("invalid_input").inc()
            raise
        return x

    def _run_inference(self, batch: bool) -> Response:
        cfg, m, state = self.cfg, self.m, self.state
        served, limit = self._admit(batch)
        with state.admission.enter(cfg.request_timeout_s):
            x = self._windows(served, batch, limit)
            g.windows = int(x.shape[0])
            try:
                latent, scores, used = self.svc.infer(x, cfg.request_timeout_s)
            except BackendTimeout as exc:
                m.rejections.labels("timeout").inc()
                raise ApiError("timeout", str(exc)) from exc
            except BackendError as exc:
                raise ApiError("backend_error", str(exc), {"Retry-After": "5"}) from exc
            except NonFiniteOutput as exc:  # logged and counted by the service
                raise ApiError("non_finite_output", str(exc)) from exc
        g.backend = used.backend.kind
        if state.telemetry is not None:  # never blocks or raises
            state.telemetry.record(g.rid, used, time.perf_counter() - g.t0, latent, scores, x)
        if batch:
            body: dict[str, np.ndarray] = {"latent": latent, "motif_scores": scores}
        else:
            body = {"latent": latent[0], "motif_scores": scores[0]}
        headers = {"X-Model": used.artifact.ref, "X-Backend": used.backend.kind}
        return json_response(body, headers=headers)

    # --- probes and metadata ---------------------------------------------------------------

    def healthz(self) -> Response:
        s = self.svc.served
        ready, _ = self.state.ready()
        return json_response(
            {
                "ok": True,
                "model": s.artifact.ref if s else None,
                "backend": s.backend.kind if s else None,
                "stub": bool(s and s.backend.is_stub),
                "artifact_sha256": s.manifest_sha256 if s else None,
                "artifact_path": str(s.artifact.path) if s else None,
                "uptime_s": round(time.monotonic() - self.state.started, 3),
                "ready": ready,
                "draining": self.state.draining.is_set(),
                "fallback": s.fallback_info if s else None,
                "version": __version__,
                "pid": os.getpid(),
                "worker": self.state.worker,
            }
        )

    def readyz(self) -> Response:
        ready, reason = self.state.ready()
        self.m.ready.set(1 if ready else 0)
        s = self.svc.served
        body = {"ready": ready, "reason": reason}
        if s is not None:
            body["golden"] = s.golden.as_dict()
        return json_response(body, 200 if ready else 503, None if ready else {"Retry-After": "1"})

    def model(self) -> Response:
        s = self.svc.served
        if s is None:
            raise ApiError("not_ready", "the model is still loading", {"Retry-After": "1"})
        man = s.artifact.manifest
        spec, motifs = man.input_spec, man.motifs
        files = man.files
        return json_response(
            {
                "name": s.artifact.name,
                "version": s.artifact.version,
                "ref": s.artifact.ref,
                "path": str(s.artifact.path),
                "manifest_sha256": s.manifest_sha256,
                "inputs_sha256": man.inputs_sha256,
                "export_config_sha256": man.export_config_sha256,
                "files": {k: v.get("sha256") for k, v in files.items()},
                "backend": s.backend.kind,
                "stub": s.backend.is_stub,
                "backend_info": s.backend.describe(),
                "fallback": s.fallback_info,
                "fallback_ready": s.fallback is not None,
                "input": {
                    "shape": [s.tail.window, s.tail.channels],
                    "batch_shape": ["N", s.tail.window, s.tail.channels],
                    "max_batch_windows": self.cfg.max_batch_windows,
                    "channels": list(spec.channels),
                    "units": list(spec.units),
                    "sample_rate_hz": spec.sample_rate_hz,
                },
                "outputs": {
                    "latent": [man.latent_dim],
                    "motif_scores": [motifs.count],
                    "motif_definition": motifs.definition,
                },
                "normalization": {
                    **man.normalization.as_dict(),
                    "on_chip": s.backend.normalization_on_chip,
                },
                "golden": s.golden.as_dict(),
                "loaded_at": s.loaded_at,
            }
        )

    def metrics(self) -> Response:
        return Response(generate_latest(self.m.scrape_registry), mimetype=CONTENT_TYPE_LATEST)

    def openapi(self) -> Response:
        return json_response(self.spec)

    def index(self) -> Response:
        return json_response(
            {"service": "hailo-inference", "version": __version__, "routes": list(ROUTES)}
        )

    # --- admin -----------------------------------------------------------------------------

    def admin_reload(self) -> Response:
        if request.remote_addr not in _LOOPBACK:
            raise ApiError("forbidden", "reload is allowed from loopback clients only")
        res = self.svc.reload("admin")
        if not res.ok:
            raise ApiError("artifact_refused", res.error or "refused")
        if self.state.reload_others is not None:  # several workers: the others swap as on SIGHUP
            self.state.reload_others()
        return json_response(res.as_dict())

"""Per-request hooks: request ids, request logging (request_log.py), metrics, JSON errors."""

from __future__ import annotations

import re

import structlog
from flask import Flask, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hailo_inference.errors import ApiError
from hailo_inference.http_guard import new_request_id
from hailo_inference.responses import error_response
from hailo_inference.state import State

_RID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET = {"/healthz", "/readyz", "/metrics"}  # probes: counted apart in the summary
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install(app: Flask, state: State) -> None:
    """Register the before/after-request hooks and the error handlers on `app`."""
    m = state.metrics
    log = state.log

    @app.before_request
    def _begin() -> None:
        rid = request.headers.get("X-Request-ID", "")
        g.rid = rid if _RID.match(rid) else new_request_id()
        g.t0 = state.request_log.clock()  # perf_counter; a test's clock in tests
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.rid)

    @app.after_request
    def _end(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("rid", "")
        now = state.request_log.clock()
        dt = now - g.get("t0", now)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        m.requests.labels(route, str(resp.status_code)).inc()
        m.latency.labels(route).observe(dt)
        state.request_log.record(
            latency_s=dt,
            status=resp.status_code,
            probe=request.path in _QUIET,
            method=request.method,
            path=request.path,
            backend=g.get("backend"),
            windows=g.get("windows"),
            error=g.get("error"),
            detail=g.get("error_detail"),
            remote=request.remote_addr,
        )
        return resp

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Response:
        return error_response(e.code, e.detail, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        code = _HTTP_CODES.get(e.code or 400, "invalid_body")
        if code == "payload_too_large":
            m.rejections.labels("too_large").inc()
            return error_response(code, "body exceeds the size limit (server.max_body_bytes)")
        if code == "method_not_allowed":
            allowed = ", ".join(e.valid_methods or []) if hasattr(e, "valid_methods") else ""
            return error_response(code, f"{request.method} is not allowed here; use {allowed}")
        if code == "not_found":
            return error_response(code, f"no route {request.path}; see /openapi.json")
        return error_response(code, e.description or "bad request")

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> Response:
        log.error("internal_error", exc_info=e)
        return error_response("internal_error", f"{type(e).__name__}: {e}")

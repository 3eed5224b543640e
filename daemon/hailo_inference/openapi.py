"""The route table the app is built from, and the OpenAPI 3.1 document generated from it.

app.py registers exactly ROUTES (rule -> method -> view name); tests compare the Flask url_map,
the live responses and docs/api_contract.md with this document, so they cannot drift.
"""

from __future__ import annotations

from typing import Any

from hailo_inference import __version__
from hailo_inference.errors import ERROR_CODES
from hailo_inference.metric_names import PREFIX

WINDOW, CHANNELS, LATENT, MOTIFS = 100, 9, 64, 12

# rule -> {method: (view, summary, request schema ref or None, {status: schema ref})}
ROUTES: dict[str, dict[str, tuple[str, str, str | None, dict[int, str]]]] = {
    "/infer": {
        "POST": ("infer", "Encode one IMU window (EdgeInfer's call)", "Window", {200: "Result"}),
    },
    "/infer/infer": {
        "POST": (
            "infer",
            "Alias of /infer (EdgeInfer's HealthCheckService posts MODEL_BACKEND_URL + /infer)",
            "Window",
            {200: "Result"},
        ),
    },
    "/": {
        "GET": ("index", "Links to the other endpoints", None, {200: "Index"}),
        "POST": (
            "infer",
            "Alias of /infer (MODEL_BACKEND_URL set to the base URL)",
            "Window",
            {200: "Result"},
        ),
    },
    "/infer/batch": {
        "POST": ("infer_batch", "Encode several windows at once", "Batch", {200: "BatchResult"}),
    },
    "/healthz": {"GET": ("healthz", "Liveness and what is served", None, {200: "Health"})},
    "/readyz": {
        "GET": (
            "readyz",
            "Readiness: 200 once loaded, warmed up and golden-checked; 503 otherwise/draining",
            None,
            {200: "Ready", 503: "Ready"},
        )
    },
    "/metrics": {"GET": ("metrics", f"Prometheus text ({PREFIX}_*)", None, {200: "text"})},
    "/v1/model": {"GET": ("model", "Model metadata", None, {200: "Model"})},
    "/openapi.json": {"GET": ("openapi", "This document", None, {200: "object"})},
    "/admin/reload": {
        "POST": (
            "admin_reload",
            "Reload the configured artifact (loopback clients only; same as SIGHUP)",
            None,
            {200: "Reload"},
        )
    },
}

_num = {"type": "number"}
_arr = {"type": "array"}


def _vec(n: int, extra: dict | None = None) -> dict:
    return {**_arr, "items": {**_num, **(extra or {})}, "minItems": n, "maxItems": n}


_WINDOW = {
    **_arr,
    "description": f"{WINDOW} samples x {CHANNELS} channels (ax ay az gx gy gz mx my mz; "
    "m/s^2, rad/s, uT; 100 Hz), finite numbers",
    "items": _vec(CHANNELS),
    "minItems": WINDOW,
    "maxItems": WINDOW,
}
SCHEMAS: dict[str, Any] = {
    "Window": {
        "type": "object",
        "required": ["x"],
        "properties": {"x": _WINDOW},
    },
    "Batch": {
        "type": "object",
        "required": ["x"],
        "properties": {
            "x": {
                **_arr,
                "items": _WINDOW,
                "minItems": 1,
                "description": "server.max_batch_windows",
            }
        },
    },
    "Result": {
        "type": "object",
        "required": ["latent", "motif_scores"],
        "additionalProperties": False,
        "properties": {
            "latent": _vec(LATENT),
            "motif_scores": _vec(MOTIFS, {"minimum": 0, "maximum": 1}),
        },
    },
    "BatchResult": {
        "type": "object",
        "required": ["latent", "motif_scores"],
        "additionalProperties": False,
        "properties": {
            "latent": {**_arr, "items": _vec(LATENT)},
            "motif_scores": {**_arr, "items": _vec(MOTIFS, {"minimum": 0, "maximum": 1})},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "detail", "request_id"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string", "enum": sorted(ERROR_CODES)},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["ok", "model", "backend", "stub", "artifact_sha256", "uptime_s", "ready"],
        "properties": {
            "ok": {"type": "boolean"},
            "model": {"type": ["string", "null"], "description": "name@version"},
            "backend": {"type": ["string", "null"], "enum": ["hailo", "onnx", "stub", None]},
            "stub": {"type": "boolean"},
            "artifact_sha256": {"type": ["string", "null"], "description": "manifest.json sha256"},
            "uptime_s": _num,
            "ready": {"type": "boolean"},
            "draining": {"type": "boolean"},
            "fallback": {"type": ["object", "null"]},
            "version": {"type": "string"},
            "pid": {"type": "integer", "description": "the process that answered"},
            "worker": {
                "type": ["integer", "null"],
                "description": "its worker index 1..server.workers (null: one process)",
            },
        },
    },
    "Ready": {
        "type": "object",
        "required": ["ready"],
        "properties": {"ready": {"type": "boolean"}, "reason": {"type": "string"}},
    },
    "Model": {
        "type": "object",
        "required": ["name", "version", "backend", "stub", "manifest_sha256", "input", "outputs"],
    },
    "Index": {"type": "object"},
    "Reload": {"type": "object", "required": ["ok"]},
}


def _content(ref: str) -> dict:
    if ref == "text":
        return {"text/plain": {"schema": {"type": "string"}}}
    if ref == "object":
        return {"application/json": {"schema": {"type": "object"}}}
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _error_responses(method: str, view: str) -> dict[str, Any]:
    err = {"description": "error", **_content("Error")}
    codes: set[int] = {404}
    if method == "POST" and view.startswith("infer"):
        codes |= {400, 413, 415, 422, 431, 500, 501, 503, 504}
    if view == "admin_reload":
        codes |= {403, 422}
    return {str(c): err for c in sorted(codes)}


def build_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule, methods in ROUTES.items():
        item: dict[str, Any] = {}
        for method, (view, summary, req, responses) in methods.items():
            op: dict[str, Any] = {
                "operationId": f"{view}_{method.lower()}_{rule.strip('/').replace('/', '_')}",
                "summary": summary,
                "parameters": [
                    {
                        "name": "X-Request-ID",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
                        "description": "echoed back; generated when absent or invalid",
                    }
                ],
                "responses": {
                    **{str(s): {"description": "ok", **_content(r)} for s, r in responses.items()},
                    **_error_responses(method, view),
                },
            }
            if req:
                op["requestBody"] = {"required": True, **_content(req)}
            item[method.lower()] = op
        paths[rule] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hailo-inference",
            "version": __version__,
            "description": "EdgeInfer's local IMU encoder sidecar. See docs/api_contract.md.",
        },
        "servers": [{"url": "http://127.0.0.1:9000"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }

"""JSON responses: orjson bodies (numpy arrays included) and the one error body shape."""

from __future__ import annotations

from typing import Any

import orjson
from flask import g
from werkzeug.wrappers import Response

from hailo_inference.errors import ApiError

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def json_response(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(obj, option=_NUMPY),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def error_response(code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    """{"error", "detail", "request_id"} with the status ERROR_CODES gives `code`."""
    e = ApiError(code, detail, headers)
    g.error = code
    g.error_detail = detail  # the reason on the request_failed log line (request_log.py)
    body = {"error": e.code, "detail": e.detail, "request_id": g.get("rid", "")}
    return json_response(body, e.status, e.headers)

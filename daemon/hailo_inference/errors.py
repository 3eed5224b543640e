"""API errors: every failure is JSON {"error", "detail", "request_id"} with a fixed code."""

from __future__ import annotations

# error code -> HTTP status. The OpenAPI document and docs/api_contract.md list exactly these.
ERROR_CODES: dict[str, int] = {
    "invalid_json": 400,
    "invalid_body": 400,
    "missing_key": 400,
    "invalid_shape": 400,
    "invalid_value": 400,
    "malformed_http": 400,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "headers_too_large": 431,
    "artifact_refused": 422,
    "out_of_range": 422,
    "internal_error": 500,
    "non_finite_output": 500,
    "not_implemented": 501,
    "backend_error": 503,
    "overloaded": 503,
    "draining": 503,
    "not_ready": 503,
    "timeout": 504,
}


class ApiError(Exception):
    def __init__(self, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.status = ERROR_CODES[code]
        self.detail = detail
        self.headers = headers or {}

"""WSGI middleware: count each request until waitress has its whole body (SIGTERM drain)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol


class Gauge(Protocol):
    def enter(self) -> None: ...
    def leave(self) -> None: ...


class Counted:
    """WSGI middleware: count requests until their response body is fully handed to waitress."""

    def __init__(self, app: Callable, state: Gauge) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        self.state.enter()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.state.leave()
            raise
        return Closing(body, self.state)


class Closing:
    """The response body, which leaves the count when waitress closes it."""

    def __init__(self, body: Iterable[bytes], state: Gauge) -> None:
        self.body = body
        self.state = state

    def __iter__(self) -> Any:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close:
                close()
        finally:
            self.state.leave()

"""The Flask application: routes from openapi.ROUTES onto Views, hooks, the drain counter."""

from __future__ import annotations

from flask import Flask

from hailo_inference import hooks
from hailo_inference.middleware import Counted
from hailo_inference.openapi import ROUTES
from hailo_inference.state import State
from hailo_inference.views import Views

__all__ = ["State", "create_app"]


def create_app(state: State) -> Flask:
    app = Flask("hailo_inference")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    hooks.install(app, state)
    views = Views(state)
    for rule, methods in ROUTES.items():
        for method, (view, *_rest) in methods.items():
            app.add_url_rule(
                rule,
                endpoint=f"{view}:{method}:{rule}",
                view_func=getattr(views, view),
                methods=[method],
                provide_automatic_options=False,  # OPTIONS: a JSON 405 like any other method
            )
    app.wsgi_app = Counted(app.wsgi_app, state)  # type: ignore[method-assign]
    return app

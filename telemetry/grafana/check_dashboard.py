"""Validate a Grafana dashboard JSON against Grafana's own dashboard schema.

No JSON Schema file for Grafana dashboards ships in any package reachable here (checked: the
PyPI and npm grafana-foundation-sdk and @grafana/schema packages carry none). Grafana's schema
does ship, generated from Grafana's CUE "kinds", as the typed models of `grafana-foundation-sdk`
(pinned in requirements.txt, Grafana 11.6). This check uses those models three ways:

1. decode: `Dashboard.from_json` with the panel and Prometheus query plugins registered (each
   panel's options/fieldConfig decode into that panel type's own model);
2. types: every decoded field is checked against the model's type hints (str, int, float,
   bool, Literal, enums, lists, unions, nested models);
3. round trip: encoding the decoded models must give back every key and value of the input,
   so a key the schema does not know (a typo, a wrong nesting) is an error, not silently lost.

Plus structural rules Grafana enforces only in its UI: unique panel ids, gridPos inside the
24-column grid, every panel with at least one query with a refId and an expression, and every
`$variable` used in a query defined in templating. PromQL itself is checked by
`promtool check rules` (see mk/telemetry.mk), since a dashboard query is a rule expression.

    python telemetry/grafana/check_dashboard.py telemetry/grafana/*.json

A CI tool (`make telemetry-check`), kept out of the edge_telemetry wheel the devices install.
"""

from __future__ import annotations

import enum
import json
import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _sdk() -> tuple[Any, Any]:
    try:
        from grafana_foundation_sdk.cog.encoder import JSONEncoder
        from grafana_foundation_sdk.cog.plugins import register_default_plugins
        from grafana_foundation_sdk.models.dashboard import Dashboard
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "grafana-foundation-sdk is missing: run `make setup` (it is pinned in requirements.txt)"
        ) from exc
    register_default_plugins()
    return Dashboard, JSONEncoder


def _is_model(obj: Any) -> bool:
    return hasattr(type(obj), "from_json") and hasattr(obj, "to_json")


def _check_value(v: Any, hint: Any, path: str, errors: list[str]) -> None:
    if v is None:
        return
    if hint is Any or hint is object:  # plugin-specific (panel options, fieldConfig.custom)
        if _is_model(v):
            _check_model(v, path, errors)
        elif isinstance(v, list):
            for i, item in enumerate(v):
                _check_value(item, Any, f"{path}[{i}]", errors)
        return
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        arms = [a for a in args if a is not type(None)]
        if len(arms) == 1:  # Optional[X]
            _check_value(v, arms[0], path, errors)
            return
        trials = []
        for arm in arms:
            trial: list[str] = []
            _check_value(v, arm, path, trial)
            if not trial:
                return
            trials.append(trial)
        shown = min(trials, key=len)
        errors.append(f"{path}: matches none of {hint}; closest: {'; '.join(shown[:2])}")
        return
    if origin is typing.Literal:
        if v not in args:
            errors.append(f"{path}: {v!r} is not one of {list(args)}")
        return
    if origin is list:
        if not isinstance(v, list):
            errors.append(f"{path}: expected a list, got {type(v).__name__}")
            return
        for i, item in enumerate(v):
            _check_value(item, args[0] if args else Any, f"{path}[{i}]", errors)
        return
    if origin is dict:
        if not isinstance(v, dict):
            errors.append(f"{path}: expected an object, got {type(v).__name__}")
            return
        for k, item in v.items():
            _check_value(item, args[1] if len(args) > 1 else Any, f"{path}.{k}", errors)
        return
    if isinstance(hint, str):  # unresolved forward reference: accept any decoded model
        return
    if not isinstance(hint, type):
        return
    if issubclass(hint, enum.Enum):
        values = {m.value for m in hint}
        if not (isinstance(v, hint) or v in values):
            errors.append(f"{path}: {v!r} is not one of {sorted(map(str, values))}")
        return
    if hint is bool:
        ok = isinstance(v, bool)
    elif hint is int:
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif hint is float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    else:
        ok = isinstance(v, hint)
    if not ok:
        errors.append(f"{path}: expected {hint.__name__}, got {type(v).__name__} {v!r}")
        return
    if _is_model(v):
        _check_model(v, path, errors)


def _check_model(obj: Any, path: str, errors: list[str]) -> None:
    cls = type(obj)
    try:
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    except Exception:
        hints = {k: v for k, v in getattr(cls, "__annotations__", {}).items()}
    for name, hint in hints.items():
        _check_value(getattr(obj, name, None), hint, f"{path}.{name}", errors)


def _round_trip(orig: Any, back: Any, path: str, errors: list[str]) -> None:
    if isinstance(orig, dict):
        if not isinstance(back, dict):
            errors.append(f"{path}: became {type(back).__name__} after decoding")
            return
        for k, v in orig.items():
            if k not in back:
                errors.append(f"{path}.{k}: not in Grafana's dashboard schema (dropped)")
            else:
                _round_trip(v, back[k], f"{path}.{k}", errors)
    elif isinstance(orig, list):
        if not isinstance(back, list) or len(back) != len(orig):
            errors.append(f"{path}: list changed when decoded")
            return
        for i, (a, b) in enumerate(zip(orig, back)):
            _round_trip(a, b, f"{path}[{i}]", errors)
    elif orig != back:
        errors.append(f"{path}: {orig!r} decoded as {back!r}")


def _panels(d: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in d.get("panels") or []:
        yield p
        yield from p.get("panels") or []


_VAR = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
_BUILTIN = {"__rate_interval", "__interval", "__range", "__interval_ms", "__range_s"}


def _structure(d: dict[str, Any], errors: list[str]) -> None:
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in d:
            errors.append(f"dashboard.{key}: required")
    defined = {v.get("name") for v in (d.get("templating") or {}).get("list", [])}
    ids: set[int] = set()
    for p in _panels(d):
        where = f"panel {p.get('id')} {p.get('title')!r}"
        if p.get("id") in ids:
            errors.append(f"{where}: duplicate panel id")
        ids.add(p.get("id"))
        g = p.get("gridPos") or {}
        if not (g.get("w", 0) >= 1 and g.get("x", -1) >= 0 and g.get("x", 0) + g.get("w", 0) <= 24):
            errors.append(f"{where}: gridPos {g} is outside the 24-column grid")
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            errors.append(f"{where}: no query")
        for t in targets:
            if not t.get("refId") or not t.get("expr"):
                errors.append(f"{where}: a query without refId or expr")
            for m in _VAR.finditer(json.dumps(t)):
                name = m.group(1) or m.group(2)
                if name not in defined and name not in _BUILTIN:
                    errors.append(f"{where}: ${name} is not defined in templating")


def check_dashboard(data: dict[str, Any]) -> list[str]:
    """All problems found (empty list = valid)."""
    dashboard_cls, encoder = _sdk()
    errors: list[str] = []
    _structure(data, errors)
    try:
        model = dashboard_cls.from_json(data)
    except Exception as exc:
        return [*errors, f"dashboard: does not decode with Grafana's schema: {exc!r}"]
    _check_model(model, "dashboard", errors)
    back = json.loads(json.dumps(model, cls=encoder))
    _round_trip(data, back, "dashboard", errors)
    return errors


def expressions(data: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the dashboard, with Grafana variables made concrete."""
    out = []
    for p in _panels(data):
        for t in p.get("targets") or []:
            if t.get("expr"):
                e = t["expr"].replace("$__rate_interval", "5m").replace("$__interval", "1m")
                out.append(_VAR.sub(".*", e))
    return out


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        print("usage: check_dashboard.py DASHBOARD.json...", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        errors = check_dashboard(json.loads(path.read_text()))
        for e in errors:
            print(f"{path}: {e}", file=sys.stderr)
        bad += bool(errors)
        if not errors:
            print(f"{path}: valid (Grafana dashboard schema via grafana-foundation-sdk models)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

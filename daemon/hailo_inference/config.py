"""Configuration: one YAML file, every key overridable by env, validated with the bad key named.

The contract with the Ansible role is docs/daemon_config.md; keep the two in step.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from hailo_inference.backends.names import BACKENDS as PLUGIN_BACKENDS

ENV_PREFIX = "HAILO_INFERENCE_"
CONFIG_ENV = "HAILO_INFERENCE_CONFIG"
BACKENDS = ("auto", *PLUGIN_BACKENDS)
LEVELS = ("debug", "info", "warning", "error")
HAILO_MULTI_PROCESS = ("auto", "true", "false")
MAX_WORKERS = 32
# server.workers: auto = one worker per usable core, at most AUTO_WORKERS_CAP (benchmarks/REPORT.md:
# the request path is GIL-bound Python, so a worker per core scales until the cores are used up;
# more workers than cores only add RSS and context switches).
AUTO_WORKERS_CAP = 4


class ConfigError(Exception):
    """A configuration that must not be used; the message names the key and the fix."""


def _did_you_mean(word: str, known: list[str]) -> str:
    """' (did you mean X?)' for the nearest known spelling, else ''."""
    near = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {near[0]}?)" if near else ""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 9000
    threads: int = 4
    max_body_bytes: int = 65536
    max_batch_windows: int = 64
    max_inflight: int = 8
    # Of those, how many parse and infer at once; the rest wait their turn asleep. 0 = auto:
    # min(max_inflight, the cores this process may run on). More threads than cores in Python
    # work starve the event loop of the GIL and a CPU, and its 503s stop being immediate
    # (docs/reliability.md, "Overload").
    max_executing: int = 0
    request_timeout_s: float = 0.5
    drain_timeout_s: float = 10.0
    workers: int = 1  # 1: one process (no supervisor); "auto" in YAML/env: auto_workers()


@dataclass(frozen=True)
class ModelConfig:
    artifact: str = "/var/lib/hailo-inference/current/artifact"
    backend: str = "auto"
    fallback_to_onnx: bool = True
    onnx_threads: int = 1
    stub_delay_s: float = 0.0
    # hailo backend, several processes: HailoRT's multi-process service (hailort.service).
    # auto: on when server.workers > 1; resolved to "true"/"false" by build_config.
    hailo_multi_process: str = "auto"
    # The VDevice group the processes share through the service (Hailo's examples use SHARED;
    # HailoRT's default, UNIQUE, gives every process its own VDevice and so cannot be shared).
    hailo_group_id: str = "SHARED"


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "info"
    file: str | None = None
    summary_interval_s: float = 60.0  # one request_summary line per interval (request_log.py)
    slow_request_ms: float = 45.0  # slower requests logged one by one (EdgeInfer's timeout)


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    # Raw `telemetry:` section, validated by edge_telemetry.TelemetryConfig (docs/telemetry.md).
    telemetry: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        out = {
            s.name: {f.name: getattr(getattr(self, s.name), f.name) for f in fields(s.type_cls)}
            for s in _sections()
        }
        out["telemetry"] = dict(self.telemetry)
        return out


@dataclass(frozen=True)
class _Section:
    name: str
    type_cls: type


def _sections() -> list[_Section]:
    return [
        _Section("server", ServerConfig),
        _Section("model", ModelConfig),
        _Section("logging", LoggingConfig),
    ]


def _types(cls: type) -> dict[str, type]:
    """Field name -> the Python type the value must be converted to."""
    out: dict[str, type] = {}
    for f in fields(cls):
        default = f.default
        out[f.name] = str if default is None else type(default)
    return out


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as systemd's CPUAffinity= sets it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def auto_workers() -> int:
    """server.workers: auto = the cores this process may run on, capped at AUTO_WORKERS_CAP."""
    return min(usable_cores(), AUTO_WORKERS_CAP)


def executing_places(s: ServerConfig) -> int:
    """server.max_executing, its auto (0) resolved: min(max_inflight, usable cores)."""
    return s.max_executing or min(s.max_inflight, usable_cores())


def _coerce(key: str, value: Any, want: type, nullable: bool) -> Any:
    if key.startswith("model.hailo_multi_process") and isinstance(value, bool):
        return "true" if value else "false"  # YAML true/false; the key also takes auto
    if key.startswith("server.workers") and isinstance(value, str):
        if value.strip().lower() != "auto":
            raise ConfigError(f"{key}: must be an integer >= 1 or auto, got {value!r}")
        return auto_workers()
    if value is None:
        if nullable:
            return None
        raise ConfigError(f"{key}: must not be empty (null); remove the key to use the default")
    if want is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: must be true or false, got {value!r}")
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: must be an integer, got {value!r}")
        return value
    if want is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: must be a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {value!r}")
    return value


def _validate(cfg: Config) -> None:
    s, m, lg = cfg.server, cfg.model, cfg.logging
    checks: list[tuple[bool, str]] = [
        (bool(s.host.strip()), "server.host: must not be empty (use 127.0.0.1)"),
        (1 <= s.port <= 65535, f"server.port: {s.port} is not a TCP port (1..65535)"),
        (1 <= s.threads <= 64, f"server.threads: {s.threads} must be between 1 and 64"),
        (
            1024 <= s.max_body_bytes <= 64 << 20,
            f"server.max_body_bytes: {s.max_body_bytes} must be between 1024 and 67108864",
        ),
        (
            1 <= s.max_batch_windows <= 4096,
            f"server.max_batch_windows: {s.max_batch_windows} must be between 1 and 4096",
        ),
        (1 <= s.max_inflight <= 256, f"server.max_inflight: {s.max_inflight} must be 1..256"),
        (
            0 <= s.max_executing <= s.max_inflight,
            f"server.max_executing: {s.max_executing} must be 0 (auto: one per core) .. "
            f"server.max_inflight ({s.max_inflight})",
        ),
        (
            0 < s.request_timeout_s <= 60,
            f"server.request_timeout_s: {s.request_timeout_s} must be > 0 and <= 60",
        ),
        (
            0 <= s.drain_timeout_s <= 600,
            f"server.drain_timeout_s: {s.drain_timeout_s} must be between 0 and 600",
        ),
        (
            1 <= s.workers <= MAX_WORKERS,
            f"server.workers: {s.workers} must be between 1 and {MAX_WORKERS} (or auto)",
        ),
        (bool(m.artifact.strip()), "model.artifact: must name an artifact folder"),
        (m.backend in BACKENDS, f"model.backend: {m.backend!r} is not one of {BACKENDS}"),
        (1 <= m.onnx_threads <= 64, f"model.onnx_threads: {m.onnx_threads} must be 1..64"),
        (0 <= m.stub_delay_s <= 60, f"model.stub_delay_s: {m.stub_delay_s} must be 0..60"),
        (lg.level in LEVELS, f"logging.level: {lg.level!r} is not one of {LEVELS}"),
        (lg.file is None or bool(lg.file.strip()), "logging.file: use null for stdout"),
        (
            1 <= lg.summary_interval_s <= 3600,
            f"logging.summary_interval_s: {lg.summary_interval_s} must be between 1 and 3600",
        ),
        (
            0 < lg.slow_request_ms <= 60000,
            f"logging.slow_request_ms: {lg.slow_request_ms} must be > 0 and <= 60000",
        ),
    ]
    for ok, msg in checks:
        if not ok:
            raise ConfigError(msg)


def _resolve_hailo_multi_process(cfg: Config) -> Config:
    """model.hailo_multi_process auto -> "true" with several workers, else "false"; refuse a
    setting under which the second worker could not open the Hailo device."""
    m = cfg.model
    workers = int(getattr(cfg.server, "workers", 1))
    mode = str(m.hailo_multi_process).strip().lower()
    if mode not in HAILO_MULTI_PROCESS:
        raise ConfigError(
            f"model.hailo_multi_process: {m.hailo_multi_process!r} is not one of "
            f"{HAILO_MULTI_PROCESS} (auto: on when server.workers > 1)"
        )
    on = workers > 1 if mode == "auto" else mode == "true"
    if not on and workers > 1 and m.backend == "hailo":
        raise ConfigError(
            f"model.hailo_multi_process: false with server.workers {workers} and model.backend "
            "hailo: only one process can open the Hailo device without hailort.service (the "
            "second gets HAILO_OUT_OF_PHYSICAL_DEVICES); use auto/true (and enable "
            "hailort.service) or server.workers: 1"
        )
    if on and m.hailo_group_id.strip() in ("", "UNIQUE"):
        raise ConfigError(
            f"model.hailo_group_id: {m.hailo_group_id!r} cannot be shared between processes "
            "(UNIQUE gives each its own VDevice and the second is refused); use SHARED"
        )
    return replace(cfg, model=replace(m, hailo_multi_process="true" if on else "false"))


def build_config(data: Mapping[str, Any] | None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults <- YAML mapping <- HAILO_INFERENCE_<SECTION>_<KEY> env vars, then validate."""
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise ConfigError(
            "the config file must be a YAML mapping with sections server/model/logging"
        )
    sections = {s.name: s for s in _sections()}
    for name in data:
        if name not in sections and name != "telemetry":
            known = [*sections, "telemetry"]
            hint = _did_you_mean(str(name), known)
            raise ConfigError(f"{name}: unknown section{hint}; known sections: {', '.join(known)}")
    cfg = Config()
    env = os.environ if env is None else env
    _check_env_names(env)
    for sec in sections.values():
        raw = data.get(sec.name) or {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{sec.name}: must be a mapping of keys")
        types = _types(sec.type_cls)
        nullable = {f.name for f in fields(sec.type_cls) if f.default is None}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in types:
                hint = _did_you_mean(str(key), list(types))
                raise ConfigError(
                    f"{sec.name}.{key}: unknown key{hint}; known keys: {', '.join(types)}"
                )
            values[key] = _coerce(f"{sec.name}.{key}", value, types[key], key in nullable)
        for key, want in types.items():
            var = f"{ENV_PREFIX}{sec.name.upper()}_{key.upper()}"
            if var in env:
                try:
                    parsed = yaml.safe_load(env[var]) if want is not str else env[var]
                except yaml.YAMLError as exc:
                    raise ConfigError(f"{var}: cannot parse {env[var]!r} ({exc})") from exc
                if want is str and key in nullable and env[var].strip() in ("", "null", "~"):
                    parsed = None
                if want is float and isinstance(parsed, int):
                    parsed = float(parsed)
                values[key] = _coerce(
                    f"{sec.name}.{key} (from {var})", parsed, want, key in nullable
                )
        cfg = replace(cfg, **{sec.name: replace(getattr(cfg, sec.name), **values)})
    cfg = replace(cfg, telemetry=_telemetry(data.get("telemetry"), env))
    cfg = _resolve_hailo_multi_process(cfg)
    _validate(cfg)
    return cfg


def env_names() -> list[str]:
    """Every HAILO_INFERENCE_* variable the daemon reads (telemetry keys: any suffix)."""
    names = [CONFIG_ENV]
    for sec in _sections():
        names += [f"{ENV_PREFIX}{sec.name.upper()}_{f.name.upper()}" for f in fields(sec.type_cls)]
    return names


def _check_env_names(env: Mapping[str, str]) -> None:
    """A misspelled HAILO_INFERENCE_* variable is an error, not a silently ignored override."""
    known = env_names()
    for var in sorted(env):
        if not var.startswith(ENV_PREFIX) or var in known:
            continue
        if var.startswith(f"{ENV_PREFIX}TELEMETRY_"):
            continue  # checked key by key by edge_telemetry (docs/telemetry.md)
        hint = _did_you_mean(var, known)
        raise ConfigError(
            f"{var}: unknown environment variable{hint}; "
            f"known: {ENV_PREFIX}<SECTION>_<KEY> for the keys in docs/daemon_config.md"
        )


def _telemetry(raw: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """The `telemetry:` section + HAILO_INFERENCE_TELEMETRY_<KEY> env, checked by edge_telemetry."""
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError("telemetry: must be a mapping of keys (see docs/telemetry.md)")
    section = dict(raw or {})
    prefix = f"{ENV_PREFIX}TELEMETRY_"
    for var, value in env.items():
        if var.startswith(prefix):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise ConfigError(f"{var}: cannot parse {value!r} ({exc})") from exc
            # "1"/"0" as edge_telemetry reads them (a bool too: ..._TELEMETRY_ENABLED=1)
            section[var[len(prefix) :].lower()] = (
                value.strip() if value.strip() in ("0", "1") else parsed
            )
    if not section:
        return section
    try:
        from edge_telemetry.config import TelemetryConfig
    except ImportError as exc:
        if section.get("enabled"):
            raise ConfigError(
                "telemetry.enabled: needs the edge-telemetry package in the daemon's virtualenv"
            ) from exc
        return section
    try:
        checked = TelemetryConfig.from_dict(section)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith("telemetry") else f"telemetry: {msg}") from exc
    if "enabled" in section:
        section["enabled"] = checked.enabled  # a bool, whatever spelling it was given in
    return section


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read the YAML file at `path` (None: defaults) and apply env overrides."""
    if path is None:
        return build_config({}, env)
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        for mark in (getattr(exc, "context_mark", None), getattr(exc, "problem_mark", None)):
            if mark is not None:
                mark.name = str(p)  # else PyYAML says "<unicode string>"
        raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
    return build_config(data, env)

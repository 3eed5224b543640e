"""Backends behind a registry, as Frigate's detector plugins: a key per plugin module, imported
only when that backend is wanted (importing hailo_platform touches the driver; onnxruntime is
heavy). The keys are in backends/names.py (config reads them without numpy). Each plugin
module declares

    KEY = "<kind>"
    def create(artifact: Artifact, cfg: ModelConfig) -> Backend
    def unavailable(artifact: Artifact) -> str | None   # None: worth trying; else why not
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from edge_artifact import Artifact

from hailo_inference.backends.base import Backend, BackendUnavailable
from hailo_inference.backends.names import BACKENDS, PLUGINS

if TYPE_CHECKING:
    from hailo_inference.config import ModelConfig


def plugin(kind: str) -> ModuleType:
    """The plugin module for `kind`, imported now; BackendUnavailable when it cannot be."""
    if kind not in PLUGINS:
        raise BackendUnavailable(f"no backend {kind!r}; known: {', '.join(BACKENDS)}")
    try:
        mod = importlib.import_module(PLUGINS[kind])
    except ImportError as exc:
        raise BackendUnavailable(f"the {kind} backend cannot be imported here: {exc}") from exc
    assert kind == mod.KEY, f"{PLUGINS[kind]} declares KEY {mod.KEY!r}, registered as {kind!r}"
    return mod


def unavailable(kind: str, artifact: Artifact) -> str | None:
    """None when `kind` is worth trying on this host for this artifact, else the reason not."""
    try:
        return plugin(kind).unavailable(artifact)
    except BackendUnavailable as exc:
        return str(exc)


def open_backend(kind: str, artifact: Artifact, cfg: ModelConfig) -> Backend:
    """A ready backend of `kind` for `artifact`; BackendUnavailable says why not."""
    return plugin(kind).create(artifact, cfg)

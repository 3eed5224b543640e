"""Which files of an artifact a serving host needs: each listed file has a role.

    serve        the daemon or the deploy health gate reads it on the host (golden.npz, the files
                 the manifest's `backends` entries name: the ONNX graph, the HEF(s))
    calibration  the windows the DFC quantizes with (calibration.npy)
    report       what a person reads: parity reports and plots, the compile report
    build        what only the build or the compile step reads (the accelerator ONNX,
                 export_config.yaml, the DFC's archive and model script)

The compiler writes each entry's role (`{"sha256": ..., "bytes": ..., "role": "serve"}`) through
`with_roles`, which the manifest's one constructor (sections.new_manifest) and the DFC step call;
a manifest from before has none and the rule above decides (the same serving set as before).
A role may add a serving file, never drop one a backend or the golden check reads (refused).
The deploy sends a host only the serving files (plus manifest.json), `pack`, and the host checks
each against its sha256; a non-serving file absent from a host copy is expected, one present must
still match (folder.file_problems).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from edge_artifact.manifest import ArtifactError, Manifest
from edge_artifact.names import CALIBRATION, COMPILE_REPORT, GOLDEN, HAILO_PARITY_JSON, PARITY_JSON

SERVE, CALIBRATION_ROLE, REPORT, BUILD = "serve", "calibration", "report", "build"
ROLES = (SERVE, CALIBRATION_ROLE, REPORT, BUILD)


def _stem(name: str) -> str:
    """`hailo_parity.hailo8l.json` -> `hailo_parity` (per-architecture names keep their stem)."""
    return name.split(".", 1)[0]


_REPORT_STEMS = {_stem(n) for n in (PARITY_JSON, HAILO_PARITY_JSON, COMPILE_REPORT)}


def _backend_files(entry: Any) -> Iterator[str]:
    """File names a `backends.<kind>` entry points at: `file`, and each item of a `files` or
    `hefs` mapping or list (a name, or an entry with its own `file`: one HEF per hw_arch)."""
    if not isinstance(entry, Mapping):
        return
    if isinstance(entry.get("file"), str):
        yield entry["file"]
    for key in ("files", "hefs"):
        many = entry.get(key)
        items = list(many.values()) if isinstance(many, Mapping) else many
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Mapping) and isinstance(item.get("file"), str):
                yield item["file"]


def read_on_host(manifest: Manifest) -> set[str]:
    """The files the host reads whatever the roles say: golden.npz and what a backend names."""
    needed = {GOLDEN}
    for backend in (manifest.get("backends") or {}).values():
        needed.update(_backend_files(backend))
    return needed


def rule_role(manifest: Manifest, name: str) -> str:
    """The role the rule gives a file (what an entry without `role` has)."""
    if name in read_on_host(manifest):
        return SERVE
    if _stem(name) == _stem(CALIBRATION):
        return CALIBRATION_ROLE
    return REPORT if _stem(name) in _REPORT_STEMS else BUILD


def file_role(manifest: Manifest, name: str) -> str:
    """The role of one listed file: its entry's `role`, else the rule's."""
    entry = manifest.files.get(name)
    if entry is None:
        raise ArtifactError(f"{name} is not listed in the manifest's files")
    role = entry.get("role") if isinstance(entry, Mapping) else None
    if role is None:
        return rule_role(manifest, name)
    if role not in ROLES:
        raise ArtifactError(
            f"manifest files.{name}.role is {role!r}: use one of {', '.join(ROLES)}"
        )
    if role != SERVE and name in read_on_host(manifest):
        raise ArtifactError(
            f"manifest files.{name}.role is {role!r} but the host reads {name} (golden check or "
            "a backends entry): it must be serve; rebuild the artifact"
        )
    return str(role)


def served_files(manifest: Manifest) -> list[str]:
    """The listed files a serving host needs, sorted (manifest.json is not listed: add it)."""
    return sorted(n for n in manifest.files if file_role(manifest, n) == SERVE)


def with_roles(manifest: Manifest) -> Manifest:
    """A copy whose every `files` entry says its role (an entry's own role is kept)."""
    files = {
        name: dict(entry) | {"role": file_role(manifest, name)}
        for name, entry in manifest.files.items()
    }
    return manifest.updated({"files": files})

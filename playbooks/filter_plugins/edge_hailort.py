"""The run summary's HailoRT line (issue 27 item 5: report a mixed fleet).

`edge_hailort_versions` names the HailoRT version each host of the run runs (the hailort role's
`__hailort_target`: the version adopted from the kernel's hailo_pci, or the pin), grouped by
version, oldest first, and the DFC to compile with: the pair of the only version, or of the
oldest in a mixed fleet (a HEF loads on its DFC's HailoRT and newer, so the oldest's HEF loads on
every host). `edge_hailort_fleet` groups the same way the versions the hosts recorded in their
hailort local fact (the compile's target, roles/hailo_compiler/tasks/hailort_target.yml). The pair
rule is edge_artifact.hailo_pairs, loaded from its file (standard library only, as this module:
the unit tests import it without Ansible; the controller need not install edge_artifact).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

PAIRS = Path(__file__).resolve().parents[2] / "artifact" / "edge_artifact" / "hailo_pairs.json"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
COMPILE = "ansible-playbook compile.yml -l gpusrv"
_MODULE = "_edge_artifact_hailo_pairs"


def _hailo_pairs() -> ModuleType:
    """edge_artifact/hailo_pairs.py, loaded once from its file (registered first: dataclasses
    look their module up in sys.modules)."""
    if _MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(_MODULE, PAIRS.with_suffix(".py"))
        assert spec is not None and spec.loader is not None, PAIRS.with_suffix(".py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE] = module
        spec.loader.exec_module(module)
    return sys.modules[_MODULE]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _paired_dfc(version: str, table: Path) -> str:
    """The DFC Hailo ships with this HailoRT's major.minor ('' when the table has none)."""
    try:
        return _hailo_pairs().dfc_for_hailort(version, table) or ""
    except (OSError, ValueError, KeyError):
        return ""


def _by_version(hosts: Iterable[str], version_of: Callable[[str], Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for host in hosts:
        version = str(version_of(host) or "").strip()
        if _VERSION.match(version):
            found.setdefault(version, []).append(str(host))
    return {v: found[v] for v in sorted(found, key=_key)}


def hailort_by_version(
    hosts: Iterable[str], hostvars: Mapping[str, Any], var: str = "__hailort_target"
) -> dict[str, list[str]]:
    """{version: [hosts]} of the hosts that ran the hailort role, oldest version first."""
    return _by_version(hosts, lambda h: (hostvars.get(h) or {}).get(var, ""))


def _recorded(values: Mapping[str, Any]) -> Any:
    """The HailoRT a host recorded in its hailort local fact (library_version before `version`)."""
    local = ((values or {}).get("ansible_facts") or {}).get("ansible_local") or {}
    fact = local.get("hailort") or {}
    return fact.get("version", fact.get("library_version", ""))


def edge_hailort_fleet(
    hosts: Iterable[str], hostvars: Mapping[str, Any], table: str | Path = PAIRS
) -> list[dict[str, Any]]:
    """[{version, hosts, dfc, said}] of the versions the hosts recorded, oldest first."""
    rows = []
    for version, names in _by_version(hosts, lambda h: _recorded(hostvars.get(h))).items():
        dfc = _paired_dfc(version, Path(table))
        said = f"{version} on {', '.join(names)} " + (
            f"(DFC {dfc})" if dfc else "(no DFC in the table)"
        )
        rows.append({"version": version, "hosts": names, "dfc": dfc, "said": said})
    return rows


def edge_hailort_versions(
    hosts: Iterable[str], hostvars: Mapping[str, Any], table: str | Path = PAIRS
) -> str:
    """One summary sentence; '' when no host of the run ran the hailort role."""
    found = hailort_by_version(hosts, hostvars)
    if not found:
        return ""
    listed = ", ".join(f"{v} ({', '.join(h)})" for v, h in found.items())
    oldest = next(iter(found))
    dfc = _paired_dfc(oldest, Path(table))
    with_dfc = f"DFC {dfc}" if dfc else f"a DFC {Path(table).name} does not name"
    if len(found) == 1:
        return f"HailoRT versions in this run: {listed}: compile with {with_dfc} ({COMPILE})."
    return (
        f"HailoRT versions in this run: {listed}: a mixed fleet; compile for the oldest so every "
        f"host loads the HEF: {COMPILE} -e hailo_compiler_target_hailort_version={oldest} "
        f"({with_dfc}), or bring the fleet to one version (hailort_version, hailort_upgrade)."
    )


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "edge_hailort_versions": edge_hailort_versions,
            "edge_hailort_fleet": edge_hailort_fleet,
            "edge_hailort_dfc": lambda version: _paired_dfc(str(version), PAIRS),
        }

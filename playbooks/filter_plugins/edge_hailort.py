"""The run summary's HailoRT line (issue 27 item 5: report a mixed fleet).

`edge_hailort_versions` names the HailoRT version each host of the run runs (the hailort role's
`__hailort_target`: the version adopted from the kernel's hailo_pci, or the pin), grouped by
version, oldest first, and the DFC to compile with: the pair of the only version, or of the
oldest in a mixed fleet (a HEF loads on its DFC's HailoRT and newer, so the oldest's HEF loads on
every host). The pairs are read from artifact/edge_artifact/hailo_pairs.json. Standard library
only: the unit tests import it without Ansible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

PAIRS = Path(__file__).resolve().parents[2] / "artifact" / "edge_artifact" / "hailo_pairs.json"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
COMPILE = "ansible-playbook compile.yml -l gpusrv"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _paired_dfc(version: str, table: Path) -> str:
    """The DFC Hailo ships with this HailoRT's major.minor ('' when the table has none)."""
    try:
        rows = json.loads(table.read_text())["pairs"]
    except (OSError, ValueError, KeyError):
        return ""
    minor = ".".join(version.split(".")[:2])
    return next((str(r["dfc"]) for r in rows if str(r.get("hailort")) == minor), "")


def hailort_by_version(
    hosts: Iterable[str], hostvars: Mapping[str, Any], var: str = "__hailort_target"
) -> dict[str, list[str]]:
    """{version: [hosts]} of the hosts that ran the hailort role, oldest version first."""
    found: dict[str, list[str]] = {}
    for host in hosts:
        values = hostvars.get(host) or {}
        version = str(values.get(var, "") or "").strip()
        if _VERSION.match(version):
            found.setdefault(version, []).append(str(host))
    return {v: found[v] for v in sorted(found, key=_key)}


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
        return {"edge_hailort_versions": edge_hailort_versions}

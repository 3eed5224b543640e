"""The order of a host's releases (issue 28 item 6), for rollback_release.yml and prune.yml.

A release's id is the controller's UTC time of its latest activation (`20261207T163000.123456Z`),
kept in <root>/RELEASE_ORDER as `<id> <release folder name>` lines (tasks/activate.yml), so "the
release before current" is the one activated before it. The controller's clock, never the Pi's
(a Pi 5 without its RTC battery boots at the last saved time until NTP answers, and a folder's
mtime moves whenever something inside it changes). Releases made before ids existed have none:
they come first, among themselves by their RELEASE.json's mtime (the old rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_LINE = re.compile(r"^(\d{8}T\d{6}(?:\.\d{6})?Z)\s+(\S+)\s*$")


def release_ids(order_text: str) -> dict[str, str]:
    """{release name: id} from RELEASE_ORDER's text (unreadable lines are ignored)."""
    ids: dict[str, str] = {}
    for line in (order_text or "").splitlines():
        if m := _LINE.match(line):
            ids[m.group(2)] = m.group(1)
    return ids


def hailo_release_order(files: Iterable[Mapping[str, Any]], order_text: str) -> list[str]:
    """Release folders oldest first. `files`: ansible.builtin.find results, each a release folder
    or its RELEASE.json (path and mtime); the folder's name is looked up in RELEASE_ORDER."""
    ids = release_ids(order_text)
    rows = []
    for f in files:
        path = str(f["path"])
        folder = path.rsplit("/", 1)[0] if path.endswith("/RELEASE.json") else path.rstrip("/")
        name = folder.rsplit("/", 1)[-1]
        release_id = ids.get(name)
        # with an id: after every release without one, by id then name
        key = (1, release_id, name, 0.0) if release_id else (0, "", "", float(f.get("mtime", 0)))
        rows.append((key, folder))
    return [folder for _key, folder in sorted(rows)]


def hailo_release_before(ordered: list[str], current: str) -> str:
    """The release before `current` in `ordered` ('' when current is the first or unknown)."""
    current = (current or "").rstrip("/")
    if current not in ordered:
        return ""
    i = ordered.index(current)
    return ordered[i - 1] if i > 0 else ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "hailo_release_order": hailo_release_order,
            "hailo_release_before": hailo_release_before,
        }

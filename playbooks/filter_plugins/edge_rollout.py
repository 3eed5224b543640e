"""Filters for playbooks/edge.yml's rollout decisions (issue 28 item 4).

`edge_unreachable_budget` turns edge_rollout_max_unreachable (a count or a percent string) into
the number of hosts a run may skip; `edge_unreachable` names the hosts of a batch whose SSH probe
(ansible.builtin.ping with ignore_unreachable) did not answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_COUNT = re.compile(r"^\s*(\d+)\s*$")


def edge_unreachable_budget(spec: Any, total: Any) -> int:
    """Hosts of a run of `total` that may be skipped as unreachable.

    A count ("3" or 3) is taken as is; a percent ("5%") is of `total`, rounded down, so the
    budget never exceeds what was written (5% of 19 hosts is 0, of 20 is 1).
    """
    try:
        hosts = int(total)
    except (TypeError, ValueError) as err:
        raise AnsibleFilterError(
            f"edge_unreachable_budget: total must be a count, got {total!r}"
        ) from err
    if isinstance(spec, bool):
        raise AnsibleFilterError(_bad(spec))
    if isinstance(spec, int):
        if spec < 0:
            raise AnsibleFilterError(_bad(spec))
        return spec
    text = str(spec)
    if m := _COUNT.match(text):
        return int(m.group(1))
    if m := _PERCENT.match(text):
        percent = float(m.group(1))
        if percent > 100:
            raise AnsibleFilterError(_bad(spec))
        return math.floor(hosts * percent / 100 + 1e-9)
    raise AnsibleFilterError(_bad(spec))


def _bad(spec: Any) -> str:
    return (
        f"edge_rollout_max_unreachable is {spec!r}: give a count of hosts (e.g. 3) or a percent of "
        'the hosts of the run between "0%" and "100%" (e.g. "5%").'
    )


def edge_unreachable(
    batch: Iterable[str], hostvars: Mapping[str, Any], probe: str = "__edge_probe"
) -> list[str]:
    """The hosts of `batch` whose registered `probe` result says unreachable."""
    down = []
    for host in batch:
        result = hostvars[host].get(probe) if host in hostvars else None
        if isinstance(result, Mapping) and result.get("unreachable"):
            down.append(host)
    return down


def edge_unsynced(
    batch: Iterable[str], hostvars: Mapping[str, Any], probe: str = "__edge_ntp"
) -> list[str]:
    """The hosts of `batch` whose `timedatectl show -p NTPSynchronized --value` did not say yes
    (no, an error, or no timedatectl at all)."""
    unsynced = []
    for host in batch:
        result = hostvars[host].get(probe) if host in hostvars else None
        if not isinstance(result, Mapping) or result.get("skipped"):
            continue
        if result.get("rc") != 0 or str(result.get("stdout", "")).strip() != "yes":
            unsynced.append(host)
    return unsynced


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "edge_unreachable_budget": edge_unreachable_budget,
            "edge_unreachable": edge_unreachable,
            "edge_unsynced": edge_unsynced,
        }

"""Ansible callback (opt-in, scripts/scale-run.py): remote operations per host for a run.

One operation = one module run on the host: a task's result, or each item of a looped task;
skipped ones, tasks delegated to the controller and the controller-only actions (set_fact,
assert, debug, include_*, meta) are not counted. Written as JSON to $SCALE_OPS_FILE at the end:
{"hosts": {host: n}, "by_task": {host: {task: n}}}.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: op_count
    type: aggregate
    short_description: count the remote module runs per host (scripts/scale-run.py)
    description: Writes the counts per host as JSON to $SCALE_OPS_FILE at the end of the run.
"""

LOCAL_ACTIONS = {
    "set_fact", "assert", "debug", "fail", "meta", "include_tasks", "import_tasks",
    "include_role", "import_role", "include_vars", "add_host", "group_by", "pause",
}  # fmt: skip


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "op_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, Counter] = defaultdict(Counter)

    def _remote(self, result: Any) -> bool:
        task = result._task
        action = str(task.action).rsplit(".", 1)[-1]
        if action in LOCAL_ACTIONS:
            return False
        delegate = task.delegate_to
        return not delegate or str(delegate) not in ("localhost", "127.0.0.1")

    def _count(self, result: Any) -> None:
        if not self._remote(result):
            return
        res = result._result
        items = res.get("results") if isinstance(res, dict) else None
        n = sum(1 for r in items if not r.get("skipped")) if isinstance(items, list) else 1
        self.ops[result._host.get_name()][result._task.get_name()] += n

    def v2_runner_on_ok(self, result: Any) -> None:
        self._count(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._count(result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        out = os.environ.get("SCALE_OPS_FILE")
        if not out:
            return
        data = {
            "hosts": {h: sum(c.values()) for h, c in self.ops.items()},
            "by_task": {h: dict(c) for h, c in self.ops.items()},
        }
        with open(out, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)

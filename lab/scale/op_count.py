"""Ansible callback (opt-in, scripts/scale-run.py): remote operations per host for a run.

One operation = one module run on the host: a task's result, or each item of a looped task;
skipped ones, tasks delegated to the controller and the controller-only actions (set_fact,
assert, debug, include_*, meta) are not counted. Written as JSON to $SCALE_OPS_FILE at the end
("{pid}" in it is replaced by the process id: several processes of one sliced rollout):
{"hosts": {host: n}, "by_task": {host: {task: n}}, "actions": {task: module},
 "task_s": {host: {task: seconds from the task's start to the host's result}},
 "plays": [{"play": name, "start_s", "end_s", "hosts": [...]}, ...],
 "evaluated": {host: n}}. "plays" has one entry per play start, i.e. per `serial` batch of a play
(Ansible sends v2_playbook_on_play_start for each batch), times in seconds since the playbook
started (the canary batch's duration is one host's critical path). "evaluated" counts every task
result per host, skipped and controller-side ones too: each is one pass of Ansible's strategy
loop (a worker forked by the main process), what the main process's CPU grows with.
"""

from __future__ import annotations

import json
import os
import time
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
    "validate_argument_spec",  # the roles' argument_specs: checked on the controller
}  # fmt: skip


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "op_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, Counter] = defaultdict(Counter)
        self.t0 = time.monotonic()
        self.actions: dict[str, str] = {}
        self.task_s: dict[str, dict[str, float]] = defaultdict(dict)
        self.task_start: dict[str, float] = {}
        self.plays: list[dict] = []
        self.evaluated: Counter = Counter()  # every task result per host, skipped and local too

    def _now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def v2_playbook_on_play_start(self, play: Any) -> None:
        if self.plays:
            self.plays[-1]["end_s"] = self._now()
        self.plays.append({"play": play.get_name(), "start_s": self._now(), "hosts": []})

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self.task_start[task._uuid] = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self.task_start[task._uuid] = time.monotonic()

    def _timed(self, result: Any) -> None:
        host, task = result._host.get_name(), result._task
        self.evaluated[host] += 1
        start = self.task_start.get(task._uuid)
        if start is not None:
            name = task.get_name()
            spent = self.task_s[host].get(name, 0.0) + time.monotonic() - start
            self.task_s[host][name] = round(spent, 3)
        if self.plays and host not in self.plays[-1]["hosts"]:
            self.plays[-1]["hosts"].append(host)

    def _remote(self, result: Any) -> bool:
        task = result._task
        action = str(task.action).rsplit(".", 1)[-1]
        if action in LOCAL_ACTIONS:
            return False
        delegate = task.delegate_to
        return not delegate or str(delegate) not in ("localhost", "127.0.0.1")

    def _count(self, result: Any) -> None:
        self._timed(result)
        if not self._remote(result):
            return
        res = result._result
        items = res.get("results") if isinstance(res, dict) else None
        n = sum(1 for r in items if not r.get("skipped")) if isinstance(items, list) else 1
        self.ops[result._host.get_name()][result._task.get_name()] += n
        self.actions[result._task.get_name()] = str(result._task.action)

    def v2_runner_on_ok(self, result: Any) -> None:
        self._count(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._count(result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._timed(result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._timed(result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        out = os.environ.get("SCALE_OPS_FILE")
        if not out:
            return
        out = out.replace("{pid}", str(os.getpid()))  # one file per process (sliced rollouts)
        if self.plays:
            self.plays[-1]["end_s"] = self._now()
        data = {
            "hosts": {h: sum(c.values()) for h, c in self.ops.items()},
            "by_task": {h: dict(c) for h, c in self.ops.items()},
            "actions": self.actions,
            "task_s": self.task_s,
            "plays": self.plays,
            "evaluated": dict(self.evaluated),
        }
        with open(out, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)

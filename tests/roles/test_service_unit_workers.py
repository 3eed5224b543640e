"""The unit with hailo_inference_workers (issue 16): one worker renders today's unit; N workers
get a RuntimeDirectory for the metric files and memory/task limits that grow with N."""

from __future__ import annotations

import pytest
from test_service_unit import directives, render


def test_one_worker_keeps_todays_limits_and_no_runtime_directory() -> None:
    d = directives(render())
    assert d["MemoryHigh"] == ["384M"] and d["MemoryMax"] == ["512M"] and d["TasksMax"] == ["64"]
    assert "RuntimeDirectory" not in d
    assert d["NotifyAccess"] == ["main"] and d["KillMode"] == ["mixed"]


@pytest.mark.parametrize(("workers", "nproc", "n"), [(2, 8, 2), (4, 8, 4), ("auto", 2, 2)])
def test_n_workers_grow_the_limits(workers: object, nproc: int, n: int) -> None:
    d = directives(
        render(hailo_inference_workers=workers, ansible_facts={"processor_nproc": nproc})
    )
    assert d["RuntimeDirectory"] == ["hailo-inference"]
    assert d["MemoryMax"] == [f"{128 + 192 * n}M"] and d["MemoryHigh"] == [f"{64 + 160 * n}M"]
    assert d["TasksMax"] == [str(16 + 48 * n)]
    assert d["NotifyAccess"] == ["main"]  # the supervisor speaks for the workers

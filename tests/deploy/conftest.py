"""Fixtures for the end-to-end deployment scenarios on the lab fleet (`make test-lab`).

Helpers live in deploylib.py: a unique module name, since tests/fleet has its own conftest and
`from conftest import ...` would pick whichever was imported first.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from deploylib import INVENTORY, PORT, ROOT, _build, inventory_hosts


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).name == "test_scenarios.py":
            item.add_marker(pytest.mark.lab)
            if not (INVENTORY / "hosts.yml").exists():
                item.add_marker(
                    pytest.mark.skip(reason=f"no lab inventory at {INVENTORY}: run `make lab-up`")
                )


@pytest.fixture(scope="session")
def edge_hosts() -> dict[str, str]:
    """{inventory name: lab address} of the edge group."""
    return inventory_hosts("edge")


@pytest.fixture(scope="module")
def host(edge_hosts: dict[str, str]) -> str:
    """The first edge host by name: where a module plays on one host (--limit)."""
    return sorted(edge_hosts)[0]


@pytest.fixture(scope="session")
def urls(edge_hosts: dict[str, str]) -> dict[str, str]:
    return {h: f"http://{a}:{PORT}" for h, a in edge_hosts.items()}


@pytest.fixture(scope="session")
def wheelhouse() -> None:
    p = subprocess.run(
        ["bash", "scripts/wheelhouse.sh", "x86_64-cp311"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="session")
def artifact_a(wheelhouse: None) -> Path:
    return _build(11)


@pytest.fixture(scope="session")
def artifact_b(wheelhouse: None) -> Path:
    return _build(12)

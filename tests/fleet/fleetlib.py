"""What every fleet check module shares: the lab inventory (deploylib's, on sys.path through
pytest.ini's pythonpath), the marks that skip a module without it, and testinfra's host
specification."""

from __future__ import annotations

import pytest
from deploylib import INVENTORY


def lab_marks(make_target: str = "make test-lab") -> list[pytest.MarkDecorator]:
    """`pytestmark` of a fleet module: marked lab, skipped while no lab inventory exists."""
    return [
        pytest.mark.lab,
        pytest.mark.skipif(
            not (INVENTORY / "hosts.yml").exists(),
            reason=f"no lab inventory at {INVENTORY}: run `make lab-up` (or `{make_target}`)",
        ),
    ]


def hosts(group: str, sudo: bool = True) -> list[str]:
    """testinfra's Ansible-backend host list for an inventory group of the lab."""
    return [f"ansible://{group}?ansible_inventory={INVENTORY}" + ("&sudo=true" if sudo else "")]

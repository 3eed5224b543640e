"""Every role default is documented in meta/argument_specs.yml and vice versa (no drift).

The prometheus-community roles run the same diff in CI (lint_arguments_spec.sh); here it is a
unit test over the two deployment roles, plus checks that the names follow the role prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["hailort", "hailo_inference", "hailo_compiler", "hailo_verify", "offline_venv"]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role: str) -> None:
    defaults = set(_load(ROOT / "roles" / role / "defaults" / "main.yml"))
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")
    main = specs["argument_specs"]["main"]["options"]
    options = {name for name, option in main.items() if not option.get("required")}
    required = set(main) - options
    assert defaults - options == set(), f"{role}: defaults missing from argument_specs"
    assert options - defaults == set(), f"{role}: argument_specs options without a default"
    assert required & defaults == set(), f"{role}: a required option with a default"


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_equal_role_defaults(role: str) -> None:
    """A spec default that differs from defaults/main.yml documents a value the role never uses."""
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    for entry, spec in specs.items():
        for name, option in spec.get("options", {}).items():
            if name in defaults:
                assert option.get("default") == defaults[name], f"{role}/{entry}: {name}"


def test_every_entry_point_the_plays_use_has_a_spec() -> None:
    """`tasks_from: X` in a playbook needs argument_specs X (validated like `main`)."""
    used: set[tuple[str, str]] = set()
    for play in (ROOT / "playbooks").glob("*.yml"):
        for task in _tasks(_load_all(play)):
            inc = task.get("ansible.builtin.include_role") or task.get(
                "ansible.builtin.import_role"
            )
            if isinstance(inc, dict) and inc.get("tasks_from"):
                used.add((inc["name"], inc["tasks_from"]))
    assert ("hailo_inference", "prove_served") in used, used
    for role, entry in sorted(used):
        specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
        assert entry in specs, f"roles/{role}: no argument_specs entry point {entry!r}"
        assert specs[entry].get("short_description"), f"{role}/{entry}: no short_description"


def _load_all(path: Path) -> list:
    return yaml.safe_load(path.read_text()) or []


def _tasks(node: object):
    """Every task mapping anywhere in a play list (blocks, rescue, tasks, pre/post_tasks)."""
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("tasks", "pre_tasks", "post_tasks", "block", "rescue", "always", "handlers"):
            if key in node:
                yield from _tasks(node[key])


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_described_and_typed(role: str) -> None:
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")
    for entry, entry_spec in specs["argument_specs"].items():
        for name, spec in entry_spec.get("options", {}).items():
            assert spec.get("type"), f"{role}/{entry}: {name} has no type"
            assert spec.get("description"), f"{role}/{entry}: {name} has no description"


@pytest.mark.parametrize("role", ROLES)
def test_variables_are_role_prefixed(role: str) -> None:
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    private = _load(ROOT / "roles" / role / "vars" / "main.yml")
    assert all(k.startswith(f"{role}_") for k in defaults), defaults.keys()
    assert all(k.startswith(f"_{role}_") for k in private), private.keys()

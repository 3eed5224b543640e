"""Every role default is documented in meta/argument_specs.yml and vice versa (no drift).

The prometheus-community roles run the same diff in CI (lint_arguments_spec.sh); here it is a
unit test over the two deployment roles, plus checks that the names follow the role prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["hailort", "hailo_inference"]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role: str) -> None:
    defaults = set(_load(ROOT / "roles" / role / "defaults" / "main.yml"))
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")
    options = set(specs["argument_specs"]["main"]["options"])
    assert defaults - options == set(), f"{role}: defaults missing from argument_specs"
    assert options - defaults == set(), f"{role}: argument_specs options without a default"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_described_and_typed(role: str) -> None:
    specs = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")
    for name, spec in specs["argument_specs"]["main"]["options"].items():
        assert spec.get("type"), f"{role}: {name} has no type"
        assert spec.get("description"), f"{role}: {name} has no description"


@pytest.mark.parametrize("role", ROLES)
def test_variables_are_role_prefixed(role: str) -> None:
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    private = _load(ROOT / "roles" / role / "vars" / "main.yml")
    assert all(k.startswith(f"{role}_") for k in defaults), defaults.keys()
    assert all(k.startswith(f"_{role}_") for k in private), private.keys()

"""Role hailo_compiler: its defaults and meta/argument_specs.yml agree, names are prefixed,
and the wheelhouse requirements keep the project's pins (torch 2.13.0, numpy<2)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "hailo_compiler"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def test_defaults_match_argument_specs():
    defaults = set(_load(ROLE / "defaults" / "main.yml"))
    options = _load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert defaults - set(options) == set(), "defaults missing from argument_specs"
    assert set(options) - defaults == set(), "argument_specs options without a default"
    for name, spec in options.items():
        assert spec.get("type") and spec.get("description"), name


def test_variables_and_registers_are_role_prefixed():
    names = set(_load(ROLE / "defaults" / "main.yml")) | set(_load(ROLE / "vars" / "main.yml"))
    for f in (ROLE / "tasks").glob("*.yml"):
        names |= set(re.findall(r"(?:register|loop_var):\s*(\S+)", f.read_text()))
    bad = [n for n in names if not n.lstrip("_").startswith("hailo_compiler_")]
    assert not bad, bad


def test_toolchain_pins_match_requirements():
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    tool = (ROLE / "files" / "toolchain-requirements.txt").read_text().splitlines()
    for line in tool:
        if "==" in line and not line.startswith("#"):
            req = Requirement(line)
            # the dev environment is Python 3.11: the pins for 3.11 must be requirements.txt's
            if req.marker is None or req.marker.evaluate({"python_version": "3.11"}):
                version = str(req.specifier).removeprefix("==")
                assert pins.get(req.name) == version, f"{line} differs from requirements.txt"
    assert "torch==2.13.0" in tool and "numpy==1.26.4" in tool


def test_every_toolchain_package_has_one_pin_per_python_version():
    """Environment markers split a pin by Python version (3.10 has older wheels): each package
    must still get exactly one pin on every Python version the DFC supports."""
    tool = (ROLE / "files" / "toolchain-requirements.txt").read_text().splitlines()
    reqs = [Requirement(line) for line in tool if "==" in line and not line.startswith("#")]
    for py in ("3.10", "3.11", "3.12"):
        env = {"python_version": py}
        names = [r.name for r in reqs if r.marker is None or r.marker.evaluate(env)]
        assert sorted(names) == sorted({r.name for r in reqs}), (py, names)

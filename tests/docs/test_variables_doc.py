"""docs/variables.md is generated from the roles' meta/argument_specs.yml and agrees with them."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gen_role_docs", ROOT / "scripts/gen-role-docs.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_variables_doc_equals_the_argument_specs() -> None:
    assert gen.main(["--check"]) == 0, "run `.venv/bin/python scripts/gen-role-docs.py`"


def test_every_main_variable_is_in_the_doc() -> None:
    doc = (ROOT / "docs/variables.md").read_text()
    for role in gen.ROLES:
        specs = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())
        for name in specs["argument_specs"]["main"]["options"]:
            assert f"| `{name}` |" in doc, f"{role}: {name} missing from docs/variables.md"


def test_a_changed_spec_makes_the_doc_stale(tmp_path: Path) -> None:
    """The check can fail: a new variable in a spec changes the generated section."""
    for role in gen.ROLES:
        dest = tmp_path / "roles" / role / "meta"
        dest.mkdir(parents=True)
        shutil.copy(ROOT / "roles" / role / "meta/argument_specs.yml", dest)
    spec_file = tmp_path / "roles/hailort/meta/argument_specs.yml"
    specs = yaml.safe_load(spec_file.read_text())
    specs["argument_specs"]["main"]["options"]["hailort_new_knob"] = {
        "type": "int",
        "default": 7,
        "description": "A new | knob.",
    }
    spec_file.write_text(yaml.safe_dump(specs))
    section = gen.render(tmp_path)
    assert "| `hailort_new_knob` | int | `7` | A new \\| knob. |" in section
    assert section != gen.render(ROOT)

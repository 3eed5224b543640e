"""An entry point's option is `main`'s, written once (issue 26 item 7).

roles/*/meta/argument_specs.yml: the options a non-main entry point (tasks_from: health_gate,
rollback, uninstall, ...) shares with `main` are YAML aliases of main's (`name: &name` in main,
`name: *name` in the entry point), so a type, default or description is changed in one place and
every entry point validates the same. An alias loads as the very object main's option is; a
restated copy loads as an equal but distinct one, and this test names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(ROOT.glob("roles/*/meta/argument_specs.yml"))


def restated(text: str) -> list[str]:
    """`entry.option` for every non-main option that main declares but is not main's alias."""
    specs = yaml.safe_load(text)["argument_specs"]
    main = specs["main"].get("options") or {}
    return [
        f"{entry}.{name}"
        for entry, spec in specs.items()
        if entry != "main"
        for name, option in (spec.get("options") or {}).items()
        if name in main and option is not main[name]
    ]


def test_a_restated_option_is_found() -> None:
    text = (
        "argument_specs:\n"
        "  main:\n    options:\n"
        "      r_a: &r_a\n        type: int\n        description: A.\n"
        "      r_b:\n        type: int\n        description: B.\n"
        "  other:\n    options:\n"
        "      r_a: *r_a\n"
        "      r_b:\n        type: int\n        description: B.\n"
    )
    assert restated(text) == ["other.r_b"]


def test_some_role_has_entry_points_sharing_main_options() -> None:
    shared = 0
    for path in SPECS:
        specs = yaml.safe_load(path.read_text())["argument_specs"]
        main = specs["main"].get("options") or {}
        shared += sum(
            option is main.get(name)
            for entry, spec in specs.items()
            if entry != "main"
            for name, option in (spec.get("options") or {}).items()
        )
    assert shared > 0


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.parts[-3])
def test_entry_point_options_are_mains_aliases(path: Path) -> None:
    copies = restated(path.read_text())
    assert not copies, (
        f"{path.relative_to(ROOT)}: {copies} restate main's option: write `name: *name` in the "
        "entry point and `name: &name` on main's option (one definition)"
    )

"""The generated tables of docs/daemon.md (daemon modules) and docs/layout.md (the other packages'
modules, make targets) equal their sources, and the daemon modules the prose names exist
(scripts/gen-doc-tables.py)."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gen_doc_tables", ROOT / "scripts/gen-doc-tables.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

PACKAGE = ROOT / "daemon" / "hailo_inference"
# Pages whose prose names daemon modules by their bare file name (`service.py`, `backends/x.py`).
MODULE_PAGES = ["docs/daemon.md", "docs/layout.md", "docs/reliability.md", "docs/verify.md"]
BARE_MODULE = re.compile(r"`((?:backends/)?[a-z_]+\.py)`")


def test_generated_tables_equal_the_code() -> None:
    assert gen.main(["--check"]) == 0, f"stale generated tables: run `{gen.COMMAND}`"


def test_every_daemon_module_and_documented_target_is_in_the_docs() -> None:
    daemon_doc = (ROOT / "docs/daemon.md").read_text()
    for path in PACKAGE.rglob("*.py"):
        assert f"| `{path.relative_to(PACKAGE).as_posix()}` |" in daemon_doc, path
    layout = (ROOT / "docs/layout.md").read_text()
    for name, (_, text) in gen.make_targets().items():
        if text:
            assert f"| `make {name}` |" in layout, name


@pytest.mark.parametrize("page", MODULE_PAGES)
def test_daemon_modules_named_in_prose_exist(page: str) -> None:
    """`tail.py` once sat in daemon.md's table years after it moved to edge_artifact."""
    named = {
        m
        for m in BARE_MODULE.findall((ROOT / page).read_text())
        if not m.startswith(("test_", "fake_"))
    }
    missing = {m for m in named if not (PACKAGE / m).exists()}
    assert not missing, f"{page} names daemon modules that do not exist: {sorted(missing)}"


def _copy_sources(tmp_path: Path) -> Path:
    shutil.copytree(
        PACKAGE, tmp_path / "daemon/hailo_inference", ignore=shutil.ignore_patterns("__pycache__")
    )
    for package in gen.PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copytree(ROOT / "mk", tmp_path / "mk")
    (tmp_path / "docs").mkdir()
    for page in gen.SECTIONS:
        shutil.copy(ROOT / page, tmp_path / page)
    return tmp_path


def test_a_new_module_or_target_makes_the_docs_stale(tmp_path: Path) -> None:
    """The check can fail, and regenerating fixes it."""
    root = _copy_sources(tmp_path)
    assert gen.main(["--check"], root=root) == 0
    (root / "daemon/hailo_inference/backends/npu.py").write_text(
        '"""A made-up | backend. Second sentence."""\n'
    )
    (root / "artifact/edge_artifact/made_up.py").write_text('"""Made up. Not read."""\n')
    with (root / "mk/model.mk").open("a") as mk:
        mk.write("\nNEW_VAR := x ## not a target\nnew-target: setup ## does | a thing\n\techo\n")
    assert gen.main(["--check"], root=root) == 1
    assert gen.main([], root=root) == 0
    assert gen.main(["--check"], root=root) == 0
    daemon_doc = (root / "docs/daemon.md").read_text()
    assert "| `backends/npu.py` | A made-up \\| backend. |" in daemon_doc
    layout = (root / "docs/layout.md").read_text()
    assert "| `make new-target` | `mk/model.mk` | does \\| a thing |" in layout
    assert "| `artifact/edge_artifact/made_up.py` | Made up. |" in layout
    assert "NEW_VAR" not in layout


def test_a_module_without_a_docstring_is_refused(tmp_path: Path) -> None:
    root = _copy_sources(tmp_path)
    (root / "daemon/hailo_inference/bare.py").write_text("X = 1\n")
    with pytest.raises(SystemExit, match=r"bare\.py: no module docstring"):
        gen.main(["--check"], root=root)


def test_missing_markers_are_named(tmp_path: Path) -> None:
    root = _copy_sources(tmp_path)
    doc = root / "docs/layout.md"
    doc.write_text(doc.read_text().replace(gen.END, ""))
    with pytest.raises(SystemExit, match="markers"):
        gen.main(["--check"], root=root)

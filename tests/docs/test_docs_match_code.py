"""Every `make <target>` and repository path that README.md and docs/*.md name exists.

Only code is read (inline `code`, indented and fenced blocks) plus the targets of Markdown links,
so prose such as "make sure" is never taken for a target. A path is checked when it has a slash
and its first part is a top-level entry of the repository (or a link target); paths inside a
package (`edge_compiler/hef/`), on a host (`/etc/...`) or with placeholders (`<model>`, `*`,
`{a,b}`, `$VAR`) are not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Paths that exist only once something has run, never in a fresh clone:
GENERATED = {
    "artifacts": "make model / compile.yml write artifacts/<model>/<version>/",
    "wheelhouse": "make wheelhouse / make compile-wheelhouse write it",
    "inventory/lab": "make lab-up writes the lab inventory and its SSH key (git-ignored)",
    "reports": "verify.yml writes reports/verify/<date>/",
    "selections": "collect.yml writes selections/<date>/",
    "build": "make contract-check and make bench write build/ (git-ignored)",
    "benchmarks/results": "make bench writes its JSON and PNG there",
    ".venv": "make setup-dev creates it",
    ".venv-ctl": "make setup creates it",
}
TOP_LEVEL = {p.name for p in ROOT.iterdir()} | {name.split("/")[0] for name in GENERATED}
TARGET_RE = re.compile(r"^([a-z][a-z0-9-]*)\s*:(?!=)", re.MULTILINE)
MAKE_RE = re.compile(r"(?<![\w./-])make ([a-z][a-z0-9-]*)")
PLACEHOLDER = re.compile(r"[<>*{}$^()\[\]|=]")


def _code(text: str) -> list[str]:
    """Inline code spans, indented code lines and fenced blocks of a Markdown text."""
    chunks, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            chunks.append(line)
        else:
            chunks += re.findall(r"`([^`]+)`", line)
    return chunks


def _make_targets() -> set[str]:
    files = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    return {t for f in files for t in TARGET_RE.findall(f.read_text())}


def _named_targets(doc: Path) -> set[str]:
    return {t for chunk in _code(doc.read_text()) for t in MAKE_RE.findall(chunk)}


def _named_paths(doc: Path) -> set[str]:
    text = doc.read_text()
    paths = set()
    for chunk in _code(text):
        for token in chunk.split():
            token = token.strip("`'\",;:.)(")
            if "/" not in token or PLACEHOLDER.search(token) or token.startswith(("/", "../")):
                continue
            if token.split("/")[0] in TOP_LEVEL:
                paths.add(token)
    for link in re.findall(r"\]\(([^)#\s]+)", text):
        if not re.match(r"[a-z]+:", link):
            paths.add(str((doc.parent / link).resolve().relative_to(ROOT)))
    return paths


def _generated(path: str) -> bool:
    return any(path == g or path.startswith(g + "/") for g in GENERATED)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_make_target_named_exists(doc: Path) -> None:
    missing = _named_targets(doc) - _make_targets()
    assert not missing, f"{doc.relative_to(ROOT)} names make targets that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_repository_path_named_exists(doc: Path) -> None:
    missing = {p for p in _named_paths(doc) if not _generated(p) and not (ROOT / p).exists()}
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {sorted(missing)}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A made-up target and path are caught; prose and placeholders are not mistaken for them."""
    doc = tmp_path / "x.md"
    doc.write_text(
        "Make sure to `make no-such-target` then read `scripts/no-such.sh`; make the most of it.\n"
        "    make serve   # artifacts/<model>/<version>/ /etc/hailo-inference m/s^2\n"
    )
    assert _named_targets(doc) == {"no-such-target", "serve"}
    assert _named_paths(doc) == {"scripts/no-such.sh"}
    assert "no-such-target" not in _make_targets()
    assert "serve" in _make_targets()

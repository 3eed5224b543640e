"""Every `make <target>` and repository path that README.md and docs/*.md name exists.

Only code is read (inline `code`, indented and fenced blocks) plus the targets of Markdown links,
so prose such as "make sure" is never taken for a target. A path is checked when it has a slash
and its first part is a top-level entry of the repository (or a link target); paths inside a
package (`edge_compiler/hef/`), on a host (`/etc/...`) or with placeholders (`<model>`, `*`,
`{a,b}`, `$VAR`) are not.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_core import serialized_batches

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


# --- Facts that cannot be generated: each statement in the docs is tied to the code's value. ---

NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def _prose(path: Path) -> str:
    """A page's text with line breaks and comment markers folded, so a sentence can be matched."""
    return " ".join(line.strip().lstrip("#").strip() for line in path.read_text().splitlines())


def _defaults() -> dict[str, object]:
    merged: dict[str, object] = {}
    for role in ROLES:
        merged.update(
            yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text()) or {}
        )
    return merged


def test_counts_of_roles_are_the_roles_there_are() -> None:
    """ "all three roles", "the four roles": there are five."""
    wrong = []
    for doc in DOCS:
        for word in re.findall(r"\b(\w+)\s+roles\b", _prose(doc), re.IGNORECASE):
            if word.lower() in NUMBER_WORDS and NUMBER_WORDS.index(word.lower()) + 1 != len(ROLES):
                wrong.append(f"{doc.relative_to(ROOT)}: '{word} roles'")
    assert not wrong, f"roles/ has {len(ROLES)} roles ({', '.join(ROLES)}): {wrong}"


def test_layout_names_every_role_top_level_folder_and_tests_folder() -> None:
    layout = (ROOT / "docs/layout.md").read_text()
    roles_row = next(line for line in layout.splitlines() if line.startswith("| `roles/` |"))
    assert not [r for r in ROLES if f"`{r}`" not in roles_row], f"docs/layout.md roles: {ROLES}"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = {f.split("/")[0] for f in tracked if "/" in f and not f.startswith(".")}
    assert not [f for f in folders if f"`{f}/`" not in layout], f"docs/layout.md: {sorted(folders)}"
    testing = (ROOT / "docs/testing.md").read_text()
    test_dirs = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name[0] != "_"}
    missing = [d for d in sorted(test_dirs) if f"`tests/{d}`" not in testing]
    assert not missing, f"docs/testing.md's table lacks {missing}"


def ansible_batches(serial: list[object], hosts: int) -> list[int]:
    """Batch sizes of `serial:` as ansible-core computes them (PlaybookExecutor.
    _get_serialized_batches with utils.helpers.pct_to_int): a percentage is of all the play's
    hosts, at least 1; the list's last entry repeats; the last batch takes what is left."""
    sizes, left, i = [], hosts, 0
    while left > 0:
        item = serial[i]
        if isinstance(item, str) and item.endswith("%"):
            size = int(int(item[:-1]) / 100.0 * hosts) or 1
        else:
            size = int(item)  # type: ignore[call-overload]
        if size <= 0:
            size = left
        sizes.append(min(size, left))
        left -= sizes[-1]
        i = min(i + 1, len(serial) - 1)
    return sizes


BATCHES_RE = re.compile(r"on (\d+) Pis(?: the batches are| gives batches|:)\s+(\d+(?:,\s*\d+)*)")


@pytest.mark.parametrize("page", ["docs/deploy.md", "playbooks/vars/rollout.yml"])
def test_rollout_batches_stated_are_ansibles(page: str) -> None:
    serial = yaml.safe_load((ROOT / "playbooks/vars/rollout.yml").read_text())[
        "edge_rollout_serial"
    ]
    stated = BATCHES_RE.findall(_prose(ROOT / page))
    assert stated, f"{page}: no 'on N Pis the batches are a, b, c' statement found"
    for hosts, batches in stated:
        said = [int(b) for b in re.split(r",\s*", batches)]
        want = ansible_batches(serial, int(hosts))
        assert said == want, f"{page}: {serial} on {hosts} Pis: says {said}, Ansible makes {want}"


def test_batch_arithmetic_is_ansibles_own() -> None:
    """The function above against ansible-core itself (.venv-ctl; `make setup` installs it)."""
    assert ansible_batches([1, "50%"], 10) == [1, 5, 4]
    cases = [([1, "50%"], 10), ([1, "50%"], 4), ([1, "50%"], 1), ([1, 2, "100%"], 7), (["30%"], 10)]
    assert serialized_batches(cases) == [ansible_batches(s, n) for s, n in cases]


def test_gpu_threshold_stated_is_the_roles() -> None:
    """The GPU preflight runs from optimization level N on (tasks/main.yml); the docs say N."""
    tasks = (ROOT / "roles/hailo_compiler/tasks/main.yml").read_text()
    (level,) = re.findall(r"hailo_compiler_optimization_level \| int >= (\d+)", tasks)
    pages = [
        "docs/compile.md",
        "docs/variables.md",
        "roles/hailo_compiler/meta/argument_specs.yml",
        "roles/hailo_compiler/defaults/main.yml",
    ]
    said = {
        page: re.findall(
            r"(?:level\W*|>=\s*)>?=?\s*(\d+)(?= wants a GPU)|level`?\s*>=\s*(\d+)",
            _prose(ROOT / page),
        )
        for page in pages
    }
    for page, found in said.items():
        numbers = {n for pair in found for n in pair if n}
        assert numbers, f"{page}: no GPU threshold found"
        assert numbers == {level}, f"{page} says level >= {numbers}; tasks/main.yml: >= {level}"


def _same(doc_value: str, code_value: object, percent: bool = False) -> bool:
    if isinstance(code_value, bool):
        return doc_value.lower() == str(code_value).lower()
    if isinstance(code_value, (int, float)) and doc_value.count(".") <= 1:
        number = float(doc_value) / (100 if percent else 1)
        return abs(number - float(code_value)) < 1e-9
    return doc_value == str(code_value)


def test_role_defaults_quoted_in_prose_are_the_defaults() -> None:
    """`var` (N ...), `var` (default X), `var`, default `X` in README.md and docs/ vs the roles'
    defaults/main.yml."""
    defaults = _defaults()
    quoted = re.compile(
        r"`(\w+)`(?:\s*\((?:default\s+)?|,\s*default\s+)`?(true|false|-?\d+(?:\.\d+)*)`?(\s*%)?"
    )
    wrong, seen = [], 0
    for doc in DOCS:
        for name, value, percent in quoted.findall(_prose(doc)):
            if name in defaults and not str(defaults[name]).startswith("{{"):
                seen += 1
                if not _same(value, defaults[name], bool(percent)):
                    wrong.append(
                        f"{doc.relative_to(ROOT)}: {name} {value}{percent} "
                        f"(code: {defaults[name]!r})"
                    )
    assert seen >= 10, f"only {seen} quoted defaults found: the pattern no longer matches the docs"
    assert not wrong, wrong


def test_compile_md_variable_table_is_the_roles_defaults() -> None:
    defaults = yaml.safe_load((ROOT / "roles/hailo_compiler/defaults/main.yml").read_text())
    rows = re.findall(
        r"^\| `(hailo_compiler_\w+)`[^|]*\| `([^`]*)` \|",
        (ROOT / "docs/compile.md").read_text(),
        re.M,
    )
    assert len(rows) >= 15, rows
    for name, value in rows:
        assert name in defaults, f"docs/compile.md: {name} is not a hailo_compiler variable"
        code = defaults[name]
        if isinstance(code, str):
            code = code.replace("{{ hailo_compiler_repo }}/", "")
        else:
            code = yaml.safe_dump(code, default_flow_style=True).strip().removesuffix("...").strip()
            value = yaml.safe_dump(yaml.safe_load(value), default_flow_style=True).strip()
            value = value.removesuffix("...").strip()
        assert value == (code if code != "" else '""') or (value == '""' and code == ""), (
            f"docs/compile.md: {name} `{value}`, defaults/main.yml: {defaults[name]!r}"
        )


def test_exit_codes_stated_are_the_daemons() -> None:
    server = (ROOT / "daemon/hailo_inference/server.py").read_text()
    codes = {name: int(v) for name, v in re.findall(r"^EXIT_(\w+) = (\d+)$", server, re.M)}
    assert set(codes) == {"OK", "CONFIG", "MODEL", "BIND"}, codes
    words = {
        "OK": "clean stop",
        "CONFIG": "invalid config",
        "MODEL": "artifact",
        "BIND": "cannot listen",
    }
    for page in ["README.md", "docs/daemon_config.md"]:
        text = _prose(ROOT / page)
        for name, word in words.items():
            assert f"{codes[name]} {word}" in text, (
                f"{page}: exit {codes[name]} should read '{word}'"
            )
    main = (ROOT / "daemon/hailo_inference/__main__.py").read_text()
    assert f"{codes['CONFIG']} bad config" in main and f"{codes['BIND']} cannot listen" in main


def test_test_counts_stated_are_the_tests_there_are() -> None:
    """docs/lab.md's count for make test-lab-arm64, the scenario count of tests/deploy."""
    mk = (ROOT / "mk/test-lab.mk").read_text()
    (spec,) = re.findall(r"^LAB_HOSTS_ARM64 \?= (.*)$", mk, re.M)
    groups = [h.split(":")[1] for h in spec.split()]
    total = 0
    for path in sorted((ROOT / "tests/fleet").glob("test_*.py")):
        text = path.read_text()
        tests = len(re.findall(r"^def test_", text, re.M))
        assert "parametrize" not in text, f"{path}: count parametrized cases here too"
        group = re.findall(r'^testinfra_hosts = hosts\("(\w+)"', text, re.M)
        total += tests * (sum(1 for g in groups if group[0] in ("all", g)) if group else 1)
    lab = _prose(ROOT / "docs/lab.md")
    assert re.findall(r"verify-clean: (\d+) tests", lab) == [str(total)], f"tests/fleet: {total}"
    scenarios = len(
        re.findall(r"^def test_", (ROOT / "tests/deploy/test_scenarios.py").read_text(), re.M)
    )
    for page in ["docs/deploy.md", "docs/lab.md"]:
        said = re.findall(r"(?:the|:) (\d+) scenarios\b", _prose(ROOT / page))
        assert said and set(said) == {str(scenarios)}, f"{page} says {said} scenarios; {scenarios}"

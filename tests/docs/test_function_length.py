"""No function in the project's Python is longer than 80 lines (issue 26 item 7).

Counted from the ``def`` line to the function's last line (decorators excluded), over every
Python file of the folders below and the roles' host scripts. A long function is split by job,
not by hiding lines; the failure lists every offender with its length.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 80
FOLDERS = [
    "daemon",
    "compiler",
    "artifact",
    "models",
    "telemetry",
    "hef",
    "scripts",
    "benchmarks",
    "lab",
]


def project_files() -> list[Path]:
    files = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")]
    files += (ROOT / "roles").glob("*/files/*.py")
    return sorted(p for p in files if "__pycache__" not in p.parts)


def long_functions(path: Path, root: Path = ROOT, limit: int = LIMIT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                where = path.relative_to(root).as_posix()
                found.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_walk_sees_the_project() -> None:
    files = project_files()
    assert ROOT / "daemon/hailo_inference/metrics.py" in files
    assert ROOT / "roles/hailo_verify/files/verify_host.py" in files


def test_long_function_is_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    # long() is its def line plus LIMIT body lines: LIMIT + 1 lines, one over.
    assert long_functions(tmp_path / "m.py", root=tmp_path) == ["m.py:5 long (81 lines)"]


def test_no_function_over_80_lines() -> None:
    offenders = [line for path in project_files() for line in long_functions(path)]
    assert not offenders, (
        f"{len(offenders)} functions over {LIMIT} lines; split each by job:\n"
        + "\n".join(offenders)
    )

#!/usr/bin/env python3
"""One hashed lock per Python environment the project builds (issue 25; docs/setup.md "Locks").

    scripts/lock.py compile [ENV...]   resolve ENV's inputs into locks/ENV.txt (make lock; network)
    scripts/lock.py check              offline: each lock was made from today's inputs (lock-check)
    scripts/lock.py fresh DIR          resolve every input afresh into DIR (no pins kept), then diff
    scripts/lock.py diff DIR           versions in DIR's locks against locks/ (what upstream moved)
    scripts/lock.py verify-venv PY LOCK  PY's environment holds LOCK's versions and nothing unlocked
    scripts/lock.py list               the environments, their Python, platform and lock file

Resolver: `uv pip compile --generate-hashes` (uv from locks/tools.txt). uv, not pip-tools: it
resolves for another Python and platform than the one running it (`--python-version 3.12`,
`--python-platform aarch64-manylinux_2_36`), which the controller needs to lock the Pis' aarch64
wheelhouse and the controller's 3.12 venv from one machine; pip-compile resolves only for its own
interpreter. The locks are plain requirements files, so installing them needs only pip
(`pip install --require-hashes --no-deps -r locks/ENV.txt`), on the Pis too.

Each lock starts with a header naming the environment and the sha256 of everything it was made
from (input files, the resolver's settings, the lock it is constrained to); `check` recomputes it.
A rerun keeps the versions already locked (uv reads the existing lock as preferences) unless
LOCK_UPGRADE=1; `fresh` writes elsewhere and so takes today's releases.

torch: the CPU build for dev-cpu and compile-*: from a local wheel folder that has it (pip's
find-links, e.g. a mirror), else from PyPI's CPU index through uv's `--torch-backend cpu`
(download.pytorch.org); dev-cuda takes PyPI's own (CUDA) build. The header says which.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
PROJECT = {"edge-artifact", "edge-models", "edge-compiler", "hailo-inference", "edge-telemetry"}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
FORMAT = 2  # bump when the header or the way locks are made changes


@dataclasses.dataclass(frozen=True)
class Env:
    name: str
    inputs: tuple[str, ...]  # requirement files (paths relative to the repository)
    python: str
    platform: str
    purpose: str
    torch: str = ""  # "cpu", "pypi" or "" (no torch)
    constrain: str = ""  # versions taken from this env's lock (same versions everywhere)
    unconstrained: tuple[str, ...] = ()  # names the inputs pin themselves (not constrained)
    extra: tuple[str, ...] = ()  # requirements added on the command line

    @property
    def lock(self) -> Path:
        return LOCKS / f"{self.name}.txt"


_PKGS = ("artifact", "daemon", "models", "compiler", "telemetry")
_COMPILE_PKGS = ("-e ./artifact", "-e ./models", "-e ./compiler")  # no daemon on the GPU server
_TOOLCHAIN = "roles/hailo_compiler/files/toolchain-requirements.txt"
_TOOLCHAIN_OWN = ("onnxruntime", "matplotlib")  # pinned per Python by the toolchain's markers

ENVS: dict[str, Env] = {
    e.name: e
    for e in [
        Env("tools", ("locks/tools.in",), "3.11", "x86_64-manylinux_2_28",
            "uv itself, for make lock (build/uv)"),
        Env("dev-cpu", ("requirements.txt",), "3.11", "x86_64-manylinux_2_28",
            ".venv on a machine without an NVIDIA GPU (setup.sh dev)", torch="cpu"),
        Env("dev-cuda", ("requirements.txt",), "3.11", "x86_64-manylinux_2_28",
            ".venv where nvidia-smi sees a GPU (GPUSrv)", torch="pypi"),
        Env("ctl", ("requirements-ctl.txt",), "3.12", "x86_64-manylinux_2_28",
            ".venv-ctl, the controller (setup.sh ctl)"),
        Env("edge-x86_64-cp311", ("locks/edge.in",), "3.11", "x86_64-manylinux_2_36",
            "wheelhouse/x86_64-cp311: the daemon on an x86_64 bookworm host (the lab)",
            constrain="dev-cpu"),
        Env("edge-aarch64-cp311", ("locks/edge.in",), "3.11", "aarch64-manylinux_2_36",
            "wheelhouse/aarch64-cp311: the daemon on a Pi 5, Raspberry Pi OS bookworm",
            constrain="dev-cpu"),
        # Raspberry Pi OS trixie (Debian 13): Python 3.13, numpy 2 (no numpy 1.x wheels for 3.13;
        # the apt python3-hailort is built against Debian's numpy 2): every other version is the
        # dev lock's, numpy resolves on its own (the pyprojects' python_version markers)
        *[
            Env(f"edge-{a}-cp313", ("locks/edge.in",), "3.13", f"{a}-manylinux_2_36",
                f"wheelhouse/{a}-cp313: the daemon on {where}, Python 3.13, numpy 2",
                constrain="dev-cpu", unconstrained=("numpy",))
            for a, where in (("x86_64", "an x86_64 trixie host (the lab's trixie stand-in)"),
                             ("aarch64", "a Pi 5, Raspberry Pi OS trixie"))
        ],
        *[
            Env(f"compile-cp3{m}", (_TOOLCHAIN,), f"3.{m}", "x86_64-manylinux_2_35",
                f"wheelhouse/compiler for a GPU server with Python 3.{m} (make compile-wheelhouse)",
                # 3.11 is the dev venv's Python: the same versions; 3.10/3.12 resolve on their own
                torch="cpu", constrain="dev-cpu" if m == 11 else "", unconstrained=_TOOLCHAIN_OWN,
                extra=(*_COMPILE_PKGS, "pip", "setuptools", "wheel"))
            for m in (10, 11, 12)
        ],
        Env("bench", ("benchmarks/requirements-bench.txt",), "3.11", "x86_64-manylinux_2_28",
            "the benchmark peer's packages on top of .venv (make bench-deps)", constrain="dev-cpu"),
        Env("ci-lint", (".github/lint-requirements.txt",), "3.11", "x86_64-manylinux_2_28",
            "build/ci-lint: actionlint, zizmor, check-jsonschema (make workflow-lint)"),
    ]
}  # fmt: skip


def die(msg: str) -> None:
    print(f"lock: {msg}", file=sys.stderr)
    sys.exit(1)


def locked_versions(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a lock (hashes and comments skipped)."""
    out = {}
    for line in lock.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if m:
            out[canonical(m.group(1))] = m.group(2)
    return out


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_files() -> list[Path]:
    """The project's own packages' metadata: their dependencies are inputs of every lock."""
    return [ROOT / p / "pyproject.toml" for p in _PKGS]


def inputs_digest(env: Env, lock_dir: Path | None = None) -> str:
    """sha256 of what env's lock is made from; its constraint lock is read from lock_dir."""
    h = hashlib.sha256(f"format={FORMAT}\n{dataclasses.astuple(env)!r}\n".encode())
    files = [ROOT / f for f in env.inputs] + project_files()
    for f in files:
        h.update(f"{f.relative_to(ROOT)}\n".encode())
        h.update(f.read_bytes() if f.exists() else b"<missing>")
    if env.constrain:  # the versions it is constrained to (not the header's wording)
        c = (lock_dir or LOCKS) / ENVS[env.constrain].lock.name
        pins = sorted(locked_versions(c).items()) if c.exists() else "<missing>"
        h.update(f"constrained to {c.name}: {pins}\n".encode())
    return h.hexdigest()


def header_digest(lock: Path) -> str | None:
    if not lock.exists():
        return None
    m = re.search(r"^# inputs-sha256: ([0-9a-f]{64})$", lock.read_text(), re.M)
    return m.group(1) if m else None


def uv_bin() -> str:
    for cand in (os.environ.get("UV"), str(ROOT / "build/uv/bin/uv"), shutil.which("uv")):
        if cand and Path(cand).is_file():
            return cand
    die("uv not found: run `make lock` (it installs uv from locks/tools.txt into build/uv), "
        "or set UV=/path/to/uv")  # fmt: skip
    raise AssertionError


def local_torch_links(env: Env) -> str | None:
    """A wheel folder (pip's find-links) holding torch's CPU build for env's Python, if any."""
    folders = os.environ.get("PIP_FIND_LINKS", "").split()
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.find-links"],
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
        folders += out.split()
    except OSError:
        pass
    tag = "cp" + env.python.replace(".", "")
    for d in folders:
        if Path(d).is_dir() and any(Path(d).glob(f"torch-*+cpu-{tag}-{tag}-*x86_64.whl")):
            return d
    return None


def index_reachable() -> bool:
    """PyTorch's CPU index answers (a DNS failure or a refusal answers at once)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{TORCH_CPU_INDEX}/torch/", timeout=15):
            return True
    except OSError:
        return False


def _project_line(line: str) -> bool:
    s = line.strip()
    return s.startswith("-e ") or any(s.startswith(f"{p}==") for p in PROJECT)


def strip_project(text: str) -> str:
    """Drop the project's own (editable) packages: they are built from this tree, not locked."""
    out, skipping = [], False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            skipping = _project_line(line)
        if not skipping:
            out.append(line)
    return "\n".join(out).strip() + "\n"


def compile_env(env: Env, dest: Path, keep_pins: bool) -> None:
    """Lock env into dest; a constraint lock is read beside dest (so `fresh` chains fresh locks)."""
    uv = uv_bin()
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        reqs = tmpd / "in.txt"
        lines = [f"-r {ROOT / f}" for f in env.inputs] + list(env.extra)
        reqs.write_text("\n".join(lines) + "\n")
        cmd = [uv, "pip", "compile", str(reqs), "--generate-hashes", "--no-header",
               "--python-version", env.python, "--python-platform", env.platform,
               "--annotation-style", "line", "--quiet"]  # fmt: skip
        if os.environ.get("LOCK_INDEX_URL"):  # a mirror of PyPI (docs/setup.md)
            cmd += ["--index-url", os.environ["LOCK_INDEX_URL"]]
        torch_from, pypi_torch = "", "pypi (PyPI's own build: CUDA on Linux x86_64)"
        if env.torch == "cpu":
            links = local_torch_links(env)
            if links:
                cmd += ["--find-links", links]
                torch_from = f"cpu (the CPU build, found in a local wheel folder, {links})"
            elif index_reachable():
                cmd += ["--torch-backend", "cpu"]
                torch_from = f"cpu (the CPU build, from {TORCH_CPU_INDEX})"
            else:
                torch_from = (f"{pypi_torch}: {TORCH_CPU_INDEX} was unreachable when this "
                              "lock was made; `make lock` where it is reachable locks the CPU "
                              "build")  # fmt: skip
        elif env.torch == "pypi":
            torch_from = pypi_torch
        if env.constrain:
            pins = locked_versions(dest.parent / ENVS[env.constrain].lock.name)
            cons = tmpd / "constraints.txt"
            skip = {*env.unconstrained, *PROJECT} | (
                {"torch"} if torch_from.startswith("pypi") else set()
            )
            cons.write_text(
                "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()) if n not in skip)
            )
            cmd += ["--constraint", str(cons)]
        out = tmpd / "out.txt"
        if keep_pins and dest.exists():
            shutil.copy(dest, out)  # uv keeps the versions of an existing output file
        if os.environ.get("LOCK_UPGRADE"):
            cmd.append("--upgrade")
        cmd += ["-o", str(out)]
        env_vars = dict(os.environ, UV_NO_CONFIG="1")
        env_vars.pop("PIP_CONSTRAINT", None)
        r = subprocess.run(
            cmd, cwd=ROOT, env=env_vars, stdout=subprocess.PIPE, text=True, check=False
        )
        if r.returncode != 0:
            die(
                f"{env.name}: uv pip compile failed (its error above); "
                f"inputs: {', '.join(env.inputs)}"
            )
        body = strip_project(out.read_text())
        body = body.replace(str(tmpd / "in.txt"), "inputs").replace(str(ROOT) + "/", "")
        if env.constrain:  # annotations name the lock, not this run's temporary file
            body = body.replace(str(tmpd / "constraints.txt"), f"locks/{env.constrain}.txt")
        head = [
            f"# Lock for `{env.name}`: {env.purpose}.",
            "# Generated by `make lock` (scripts/lock.py: uv pip compile --generate-hashes).",
            "# Do not edit it:",
            f"# change {', '.join(env.inputs)} and run `make lock`.",
            f"# python: {env.python}  platform: {env.platform}"
            + (f"  constrained to: locks/{env.constrain}.txt" if env.constrain else ""),
        ]
        if torch_from:
            head.append(f"# torch: {torch_from}")
        head.append(f"# inputs-sha256: {inputs_digest(env, dest.parent)}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("\n".join(head) + "\n" + body)
    print(f"lock: {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}: "
          f"{len(locked_versions(dest))} packages")  # fmt: skip


def order(names: list[str]) -> list[str]:
    """Constraining locks before the locks constrained to them."""
    done: list[str] = []
    for n in names:
        c = ENVS[n].constrain
        if c and c in names and c not in done:
            done.append(c)
        if n not in done:
            done.append(n)
    return done


def cmd_compile(names: list[str]) -> None:
    for n in names:
        if n not in ENVS:
            die(f"unknown environment {n!r}; one of: {', '.join(ENVS)}")
    for n in order(names or list(ENVS)):
        compile_env(ENVS[n], ENVS[n].lock, keep_pins=True)


def stale() -> list[str]:
    out = []
    for env in ENVS.values():
        got = header_digest(env.lock)
        if got is None:
            out.append(f"{env.lock.relative_to(ROOT)} is missing or has no inputs-sha256 header")
        elif got != inputs_digest(env):
            out.append(f"{env.lock.relative_to(ROOT)} is stale: {', '.join(env.inputs)}, the "
                       "project's pyproject.toml files"
                       + (f" or locks/{env.constrain}.txt" if env.constrain else "")
                       + " changed since it was made")  # fmt: skip
    return out


def cmd_check() -> None:
    bad = stale()
    for line in bad:
        print(f"lock: {line}", file=sys.stderr)
    if bad:
        die("run `make lock` (needs PyPI) and commit locks/")
    print(f"lock: {len(ENVS)} locks match their inputs")


def cmd_diff(other: Path) -> int:
    changed = 0
    for env in ENVS.values():
        theirs = other / env.lock.name
        if not theirs.exists():
            continue
        a, b = locked_versions(env.lock), locked_versions(theirs)
        rows = [
            (n, a.get(n, "-"), b.get(n, "-"))
            for n in sorted(set(a) | set(b))
            if a.get(n) != b.get(n)
        ]
        changed += len(rows)
        print(f"== {env.name}: {len(rows)} change(s) against locks/{env.lock.name}")
        for n, old, new in rows:
            print(f"   {n:<28} {old:>16} -> {new}")
    return changed


def installed(python: str) -> dict[str, str]:
    """name -> version in python's environment (pip's JSON on stdout; its stderr is not data)."""
    import json

    cmd = [python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return {canonical(d["name"]): d["version"] for d in json.loads(r.stdout)}


def cmd_verify_venv(python: str, lock: Path, allow: list[Path]) -> None:
    """Every package of the lock at its version; nothing else but the project's own, pip and
    what an --allow lock names (at its version)."""
    want, have = locked_versions(lock), installed(python)
    extra_ok = {n: v for a in allow for n, v in locked_versions(a).items()}
    bad = [f"{n}: locked {v}, installed {have.get(n, 'nothing')}" for n, v in sorted(want.items())
           if have.get(n) != v]  # fmt: skip
    for n, v in sorted(have.items()):
        if n in want or n in PROJECT or n == "pip":
            continue
        if extra_ok.get(n) != v:
            bad.append(f"{n} {v}: installed, but in no lock")
    for line in bad:
        print(f"lock: {python}: {line}", file=sys.stderr)
    if bad:
        die(f"{python} does not match {lock}")
    print(f"lock: {python}: {len(want)} packages at their locked versions ({lock.name})")


def cmd_fresh(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for n in order(list(ENVS)):
        env = ENVS[n]
        compile_env(env, dest / env.lock.name, keep_pins=False)
    print(f"lock: {cmd_diff(dest)} version change(s) in all")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compile")
    c.add_argument("envs", nargs="*")
    sub.add_parser("check")
    f = sub.add_parser("fresh")
    f.add_argument("dir", type=Path)
    d = sub.add_parser("diff")
    d.add_argument("dir", type=Path)
    sub.add_parser("list")
    v = sub.add_parser("verify-venv")
    v.add_argument("python")
    v.add_argument("lock", type=Path)
    v.add_argument("--allow", type=Path, action="append", default=[])
    a = ap.parse_args()
    if a.cmd == "compile":
        cmd_compile(a.envs)
    elif a.cmd == "check":
        cmd_check()
    elif a.cmd == "fresh":
        cmd_fresh(a.dir)
    elif a.cmd == "diff":
        cmd_diff(a.dir)
    elif a.cmd == "verify-venv":
        cmd_verify_venv(a.python, a.lock, a.allow)
    else:
        for e in ENVS.values():
            print(
                f"{e.name:<20} python {e.python:<5} {e.platform:<24} "
                f"locks/{e.lock.name}  {e.purpose}"
            )


if __name__ == "__main__":
    main()

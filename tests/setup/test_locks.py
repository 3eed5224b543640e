"""locks/: one hashed lock per environment (scripts/lock.py, docs/setup.md "Locks"), offline.

The locks are what every environment installs (pip --require-hashes --no-deps), so a lock that no
longer matches its inputs, an entry without a hash, or a wheelhouse lock whose versions differ from
what the tests ran would each let a fresh machine get something CI never tested (issue 25).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "locks"


def _load_lock_module(root: Path = ROOT):
    spec = importlib.util.spec_from_file_location("edge_lock_script", root / "scripts/lock.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["edge_lock_script"] = mod  # dataclasses needs the module registered
    spec.loader.exec_module(mod)
    return mod


lock = _load_lock_module()


def test_every_lock_was_made_from_todays_inputs() -> None:
    assert lock.stale() == [], "run `make lock` and commit locks/"


def test_a_changed_input_makes_exactly_its_locks_stale(tmp_path: Path, monkeypatch) -> None:
    # a copy of the inputs: requirements.txt edited, the locks as committed
    for rel in ["locks", "requirements.txt", "requirements-ctl.txt", "benchmarks",
                ".github/lint-requirements.txt", "roles/hailo_compiler/files",
                *(f"{p}/pyproject.toml" for p in lock._PKGS)]:  # fmt: skip
        src, dst = ROOT / rel, tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    monkeypatch.setattr(lock, "ROOT", tmp_path)
    monkeypatch.setattr(lock, "LOCKS", tmp_path / "locks")
    assert lock.stale() == []
    with (tmp_path / "requirements.txt").open("a") as f:
        f.write("rich==14.0.0\n")
    got = {line.split()[0] for line in lock.stale()}
    assert got == {"locks/dev-cpu.txt", "locks/dev-cuda.txt"}
    # a project package's metadata is an input of every lock
    (tmp_path / "daemon/pyproject.toml").write_text("changed\n")
    assert len(lock.stale()) == len(lock.ENVS)


def _entries(path: Path) -> list[tuple[str, list[str]]]:
    """(requirement line, its hash options) for every entry of a lock."""
    out: list[tuple[str, list[str]]] = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            out.append((line.rstrip(" \\"), []))
        else:
            out[-1][1].extend(re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
    return out


@pytest.mark.parametrize("name", sorted(lock.ENVS))
def test_every_entry_is_pinned_exactly_with_hashes(name: str) -> None:
    entries = _entries(LOCKS / f"{name}.txt")
    assert entries, name
    for req, hashes in entries:
        assert re.match(r"^[A-Za-z0-9][\w.-]*==[^\s;]+(\s*;.*)?\s*(#.*)?$", req), f"{name}: {req}"
        assert hashes, f"{name}: {req} has no --hash"
        assert not req.startswith("-e"), f"{name}: an editable entry cannot be hash-checked"


@pytest.mark.parametrize(
    "name", ["edge-x86_64-cp311", "edge-aarch64-cp311", "bench", "compile-cp311"]
)
def test_constrained_locks_pin_what_the_dev_lock_pins(name: str) -> None:
    # the Pis' wheelhouse (and the bench peer, the 3.11 toolchain) run exactly what the tests ran
    dev = lock.locked_versions(LOCKS / "dev-cpu.txt")
    mine = lock.locked_versions(LOCKS / f"{name}.txt")
    differ = {n: (v, dev[n]) for n, v in mine.items() if n in dev and dev[n] != v}
    assert differ == {}, f"{name} vs dev-cpu: {differ}"


def test_the_daemon_environments_keep_numpy_below_2() -> None:
    # the hailort wheel requires numpy<2 (hailo-ai/hailort setup.py `install_requires` at v4.20.0
    # and v4.23.0, hailort/libhailort/bindings/python/platform/setup.py line 134): the daemon's
    # venv on a bookworm Pi (Python 3.11) and the tested .venv too
    for name in ("dev-cpu", "dev-cuda", "edge-x86_64-cp311", "edge-aarch64-cp311"):
        assert lock.locked_versions(LOCKS / f"{name}.txt")["numpy"].startswith("1."), name


@pytest.mark.parametrize("name", ["edge-x86_64-cp313", "edge-aarch64-cp313"])
def test_the_trixie_locks_take_numpy_2_and_the_dev_locks_other_versions(name: str) -> None:
    # Raspberry Pi OS trixie (Python 3.13): no numpy 1.x wheels for 3.13, and HailoRT comes from
    # apt (python3-hailort, built against Debian's numpy 2); every other package is what the
    # tests ran (docs/hailo.md "Raspberry Pi OS trixie")
    env = lock.ENVS[name]
    assert env.python == "3.13" and env.constrain == "dev-cpu" and env.unconstrained == ("numpy",)
    dev = lock.locked_versions(LOCKS / "dev-cpu.txt")
    mine = lock.locked_versions(LOCKS / f"{name}.txt")
    assert mine["numpy"].startswith("2."), name
    differ = {n: (v, dev[n]) for n, v in mine.items() if n in dev and dev[n] != v and n != "numpy"}
    assert differ == {}, f"{name} vs dev-cpu: {differ}"
    # the same packages as the bookworm lock of that architecture
    arch = name.split("-")[1]
    assert set(mine) == set(lock.locked_versions(LOCKS / f"edge-{arch}-cp311.txt")), name


def test_the_dev_locks_differ_only_in_torchs_build() -> None:
    cpu = lock.locked_versions(LOCKS / "dev-cpu.txt")
    cuda = lock.locked_versions(LOCKS / "dev-cuda.txt")
    assert cpu["torch"].endswith("+cpu") and "+" not in cuda["torch"]
    assert cpu["torch"].split("+")[0] == cuda["torch"]
    assert {n: v for n, v in cpu.items() if n != "torch" and cuda.get(n) != v} == {}


def test_the_controller_holds_cryptography_below_51() -> None:
    # cryptography 51 deprecates DSA, which ansible-core 2.21.5's ssh-agent code imports: every
    # ansible command printed a CryptographyDeprecationWarning on stderr (issue 25)
    major = int(lock.locked_versions(LOCKS / "ctl.txt")["cryptography"].split(".")[0])
    assert major < 51


@pytest.mark.skipif(
    not (ROOT / ".venv-ctl/bin/ansible").exists(), reason="no .venv-ctl (make setup)"
)
def test_operators_ansible_runs_print_no_python_warning() -> None:
    r = subprocess.run([str(ROOT / ".venv-ctl/bin/ansible"), "--version"],
                       capture_output=True, text=True, check=True)  # fmt: skip
    assert "Warning" not in r.stderr, r.stderr


def test_this_venv_holds_its_locks_versions() -> None:
    # how CI knows every package is at its locked version: the running .venv against its lock
    from importlib.metadata import version

    variant = "cpu" if version("torch").endswith("+cpu") else "cuda"
    cmd = [sys.executable, str(ROOT / "scripts/lock.py"), "verify-venv", sys.executable,
           str(LOCKS / f"dev-{variant}.txt"), "--allow", str(LOCKS / "bench.txt")]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_verify_venv_refuses_a_moved_or_unlocked_package(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    f = tmp_path / "x.txt"
    f.write_text("numpy==1.26.4 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    monkeypatch.setattr(lock, "installed", lambda _py: {"numpy": "1.26.4", "pip": "26.0"})
    lock.cmd_verify_venv("py", f, [])  # passes
    monkeypatch.setattr(lock, "installed", lambda _py: {"numpy": "2.0.0"})
    with pytest.raises(SystemExit):
        lock.cmd_verify_venv("py", f, [])
    assert "numpy: locked 1.26.4, installed 2.0.0" in capsys.readouterr().err
    monkeypatch.setattr(
        lock, "installed", lambda _py: {"numpy": "1.26.4", "cryptography": "51.0.1"}
    )
    with pytest.raises(SystemExit):
        lock.cmd_verify_venv("py", f, [])
    assert "cryptography 51.0.1: installed, but in no lock" in capsys.readouterr().err


def test_the_installers_require_hashes_from_the_locks() -> None:
    # every place that installs or downloads Python packages goes through a lock with hashes
    wheelhouse = (ROOT / "scripts/wheelhouse.sh").read_text()
    assert (
        '--require-hashes -r "$lock"' in wheelhouse and "lock=locks/edge-$target.txt" in wheelhouse
    )
    compile_wh = (ROOT / "scripts/compile-wheelhouse.sh").read_text()
    assert '--require-hashes -r "$LOCK"' in compile_wh
    setup = (ROOT / "scripts/setup.sh").read_text()
    assert "--require-hashes --no-deps -r locks/tools.txt" in setup
    assert setup.count("--require-hashes --no-deps") >= 4
    mk = "\n".join(p.read_text() for p in (ROOT / "mk").glob("*.mk"))
    assert "--require-hashes --no-deps -r locks/bench.txt" in mk
    assert "--require-hashes --no-deps -r $(CI_LINT_LOCK)" in mk
    # no pip install of a bare requirement file anywhere else in the build
    for f in [ROOT / "Makefile", *(ROOT / "mk").glob("*.mk"), *(ROOT / "scripts").glob("*.sh")]:
        for line in f.read_text().splitlines():
            if re.search(r"pip install\b.*\s-r\s", line) and "--require-hashes" not in line:
                pytest.fail(f"{f.relative_to(ROOT)}: installs without hashes: {line.strip()}")

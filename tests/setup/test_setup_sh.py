"""scripts/setup.sh's interpreter finding, without network, root or the machine's own Pythons.

Each test runs a copy of setup.sh with PATH = fake interpreters + a few coreutils, HOME without
pyenv, and no system directories to search (EDGE_SETUP_PY_DIRS), so only what the test lays out
can be found. The installs (apt, uv) are turned off or faked; the real ones are proven on a fresh
Debian 12 tree by scripts/prove-fresh-debian.sh (docs/setup.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("dirname", "id", "cat", "sha256sum", "cut", "ls", "awk", "grep", "rm", "mkdir", "chmod")
TOOLS += ("env", "mktemp", "touch", "cp", "sed", "head", "tr")

GOOD = "#!/bin/sh\n# a usable interpreter: every check passes, records how it was called\n" \
    'echo "$0 $*" >> "$CALLS"\nexit 0\n'  # fmt: skip
SHIM = "#!/bin/sh\n# a pyenv shim of a version that is not selected\nexit 127\n"


def _exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def box(tmp_path: Path):
    """A copy of the repository's set-up inputs and an empty world to run it in."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts/setup.sh", repo / "scripts/setup.sh")
    for f in ("requirements.txt", "requirements-ctl.txt"):
        shutil.copy(ROOT / f, repo / f)
    shutil.copytree(ROOT / "locks", repo / "locks")
    tools = tmp_path / "tools"
    tools.mkdir()
    for t in TOOLS:
        found = shutil.which(t)
        assert found, t
        (tools / t).symlink_to(found)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{fake}:{tools}",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "EDGE_SETUP_PY_DIRS": str(tmp_path / "no-system-python"),
        "EDGE_SETUP_NO_APT": "1",
        "EDGE_SETUP_NO_UV": "1",
        "CALLS": str(tmp_path / "calls.log"),
    }

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [shutil.which("bash"), str(repo / "scripts/setup.sh"), *args],
            env={**env, **extra}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    return type("Box", (), {"run": staticmethod(run), "fake": fake, "home": home,
                            "tmp": tmp_path, "repo": repo, "env": env})  # fmt: skip


def test_finds_the_interpreter_on_path(box) -> None:
    good = _exe(box.fake / "python3.12", GOOD)
    r = box.run("find-python", "3.12")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(good)


def test_skips_a_pyenv_shim_that_fails_and_finds_pyenv_versions(box) -> None:
    _exe(box.fake / "python3.12", SHIM)
    real = _exe(box.home / ".pyenv/versions/3.12.9/bin/python3.12", GOOD)
    r = box.run("find-python", "3.12")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(real)


def test_rejects_an_interpreter_of_another_version(box) -> None:
    # "python3.12" that is really this test's Python (3.11 in .venv): the version check refuses it
    if sys.version_info[:2] == (3, 12):
        pytest.skip("needs a Python other than 3.12 to impersonate 3.12")
    (box.fake / "python3.12").symlink_to(sys.executable)
    r = box.run("find-python", "3.12")
    assert r.returncode == 1
    assert "Python 3.12 not found" in r.stderr


def test_finds_uv_managed_and_system_dirs(box) -> None:
    uvbin = box.home / ".local/share/uv/python/cpython-3.12.4-linux-x86_64-gnu/bin"
    uvpy = _exe(uvbin / "python3.12", GOOD)
    r = box.run("find-python", "3.12")
    assert r.stdout.strip() == str(uvpy), r.stderr
    sysdir = box.tmp / "usr-bin"
    sys311 = _exe(sysdir / "python3.11", GOOD)
    r = box.run("find-python", "3.11", EDGE_SETUP_PY_DIRS=str(sysdir))
    assert r.stdout.strip() == str(sys311), r.stderr


def test_nothing_found_names_the_fix(box) -> None:
    r = box.run("find-python", "3.12")
    assert r.returncode == 1 and r.stdout == ""
    assert "Python 3.12 not found" in r.stderr
    assert "apt-get install -y python3.12 python3.12-venv" in r.stderr
    assert "uv python install 3.12" in r.stderr


def test_dev_without_311_refuses_at_once_naming_the_fix(box) -> None:
    # 3.12 only: the dev lock is resolved for cp311 (the Pi's), so no venv is made from 3.12
    _exe(box.fake / "python3.12", GOOD)
    r = box.run("dev")
    assert r.returncode == 1
    assert "Python 3.11 not found" in r.stderr and "python3.11-venv" in r.stderr
    assert "3.10 or 3.12 will not do" in r.stderr
    calls = Path(box.env["CALLS"])
    assert not calls.exists() or "-m venv" not in calls.read_text()


PY311 = """#!/bin/sh
# a fake Python 3.11: answers the set-up's version questions, makes a venv holding a copy of itself
echo "$0 $*" >> "$CALLS"
case "$*" in
  *"sys.version_info[:2]"*) echo 3.11 ;;
  *"python_version()"*) echo 3.11.9 ;;
  *"-m venv "*) for a; do last=$a; done; mkdir -p "$last/bin"; cp "$0" "$last/bin/python" ;;
esac
exit 0
"""


def test_a_venv_made_by_another_python_is_rebuilt_from_the_lock(box) -> None:
    _exe(box.fake / "python3.11", PY311)
    _exe(box.repo / ".venv/bin/python", GOOD.replace("exit 0", "echo 3.10; exit 0"))
    r = box.run("dev")
    assert r.returncode == 0, r.stderr
    assert ".venv was made by Python 3.10, not 3.11: rebuilding it" in r.stdout
    assert "3.11" in (box.repo / ".venv/bin/python").read_text()  # the new interpreter's venv
    calls = Path(box.env["CALLS"]).read_text()
    assert "-m pip install -q --require-hashes --no-deps -r" in calls
    assert "-e ./artifact -e ./daemon -e ./models -e ./compiler -e ./telemetry" in calls
    assert "lock.py verify-venv" in calls and "locks/dev-cpu.txt" in calls
    assert (box.repo / ".venv/.setup-stamp").exists()
    # up to date now: a second run changes nothing
    before = calls.count("-m pip install")
    assert box.run("dev").returncode == 0
    assert Path(box.env["CALLS"]).read_text().count("-m pip install") == before


def test_the_torch_entry_is_split_from_the_rest_of_a_lock(tmp_path: Path) -> None:
    # install_lock tries torch's CPU build apart (PyTorch's own index): the split must keep every
    # other entry, with its hashes, and only torch's in the torch file
    fn = ROOT / "scripts/setup.sh"
    text = fn.read_text()
    body = text[text.index("split_lock() {") : text.index("install_lock() {")]
    rest, one = tmp_path / "rest.txt", tmp_path / "torch.txt"
    script = f"{body}\nsplit_lock {ROOT / 'locks/dev-cpu.txt'} torch {rest} {one}\n"
    subprocess.run(["bash", "-c", script], check=True)
    assert one.read_text().startswith("torch==2.13.0+cpu")
    assert one.read_text().count("--hash=sha256:") >= 1
    assert "torch==" not in rest.read_text() and "numpy==1.26.4" in rest.read_text()
    lock_hashes = (ROOT / "locks/dev-cpu.txt").read_text().count("--hash=")
    assert rest.read_text().count("--hash=") + one.read_text().count("--hash=") == lock_hashes


def test_missing_interpreter_is_installed_with_uv(box) -> None:
    # a fake uv in the private uv venv: "uv python install 3.12" lays out a uv-managed python3.12
    uvdir = box.home / ".local/share/uv/python"
    _exe(box.tmp / "uvhome/bin/uv", f"""#!/bin/sh
echo "uv $*" >> "$CALLS"
[ "$1 $2" = "python install" ] || exit 2
[ "$UV_PYTHON_INSTALL_DIR" = "{uvdir}" ] || exit 3
d="$UV_PYTHON_INSTALL_DIR/cpython-3.12.7-linux-x86_64-gnu/bin"; mkdir -p "$d"
printf '#!/bin/sh\\nexit 0\\n' > "$d/python3.12"; chmod +x "$d/python3.12"
""")  # fmt: skip
    extra = {"EDGE_SETUP_NO_UV": "", "EDGE_SETUP_UV_HOME": str(box.tmp / "uvhome")}
    r = box.run("python", "3.12", **extra)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(uvdir / "cpython-3.12.7-linux-x86_64-gnu/bin/python3.12")
    assert "uv python install --no-bin 3.12" in Path(box.env["CALLS"]).read_text()
    # uv failing (no github.com): the error still names the fix
    _exe(box.tmp / "uvhome/bin/uv", '#!/bin/sh\necho "error: dns error" >&2\nexit 2\n')
    r = box.run("python", "3.11", **extra)
    assert r.returncode == 1
    assert "uv python install 3.11 failed" in r.stderr and "Python 3.11 not found" in r.stderr


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck not installed")
def test_shellcheck_clean() -> None:
    scripts = sorted(str(p) for p in (ROOT / "scripts").glob("*.sh"))
    r = subprocess.run(["shellcheck", "-S", "warning", *scripts], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout

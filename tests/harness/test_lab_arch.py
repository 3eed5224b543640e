"""The lab harness's host specs with an architecture and a Debian suite, its per-architecture and
per-suite image cache and its binfmt bookkeeping (lab/fleet.py, lab/image.py, lab/binfmt.py); no
lab fleet, no root needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import binfmt  # lab/'s modules, through pytest.ini's pythonpath
import image
import pytest


def _lab_fleet() -> ModuleType:
    """lab/fleet.py as `lab_fleet`: benchmarks/active_learning has a fleet.py too (imported as
    `fleet` by tests/telemetry/test_loop.py), and whichever was imported first as `fleet` would
    be the other test's too."""
    path = Path(__file__).resolve().parents[2] / "lab" / "fleet.py"
    spec = importlib.util.spec_from_file_location("lab_fleet", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lab_fleet"] = module
    spec.loader.exec_module(module)
    return module


fleet = _lab_fleet()

QEMU_CONF = (
    r":qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00"
    r"\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:"
    "/usr/libexec/qemu-binfmt/aarch64-binfmt-P:{flags}"
)


def test_hosts_default_to_amd64_and_take_an_architecture() -> None:
    hosts = fleet.parse_hosts("pi-lab-1:edge pi-arm-1:edge:arm64 gpusrv-lab:gpusrv pi-x")
    assert [(h["name"], h["group"], h["arch"]) for h in hosts] == [
        ("pi-lab-1", "edge", "amd64"),
        ("pi-arm-1", "edge", "arm64"),
        ("gpusrv-lab", "gpusrv", "amd64"),
        ("pi-x", "edge", "amd64"),
    ]
    # addresses follow the group only, whatever the architecture
    assert [h["address"] for h in hosts] == ["10.77.0.11", "10.77.0.12", "10.77.0.21", "10.77.0.13"]


def test_an_unknown_architecture_names_the_known_ones() -> None:
    with pytest.raises(SystemExit, match=r"'riscv64'.*amd64, arm64"):
        fleet.parse_hosts("pi-rv:edge:riscv64")


def test_a_host_named_twice_is_refused() -> None:
    with pytest.raises(SystemExit, match="twice"):
        fleet.parse_hosts("pi-a:edge pi-a:edge:arm64")


def test_only_emulated_hosts_get_a_time_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binfmt.platform, "machine", lambda: "x86_64")
    amd, arm = fleet.parse_hosts("a:edge b:edge:arm64")
    assert fleet.time_scale(amd) == 1
    assert fleet.time_scale(arm) == fleet.EMULATED_TIME_SCALE > 1
    monkeypatch.setattr(binfmt.platform, "machine", lambda: "aarch64")  # an arm64 machine
    assert fleet.time_scale(arm) == 1 and fleet.time_scale(amd) == fleet.EMULATED_TIME_SCALE


def test_inventory_marks_only_emulated_hosts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(binfmt.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(fleet, "INV", tmp_path)
    monkeypatch.setattr(fleet, "KNOWN_HOSTS", tmp_path / "known_hosts")
    monkeypatch.setattr(fleet, "LIB", tmp_path / "lib")
    fleet.write_inventory(fleet.parse_hosts("pi-lab-1:edge pi-arm-1:edge:arm64"))
    import yaml

    edge = yaml.safe_load((tmp_path / "hosts.yml").read_text())["all"]["children"]["edge"]
    assert "edge_emulated" not in edge["hosts"]["pi-lab-1"]
    assert edge["hosts"]["pi-lab-1"]["lab_arch"] == "amd64"
    assert edge["hosts"]["pi-arm-1"]["lab_arch"] == "arm64"
    arm = edge["hosts"]["pi-arm-1"]
    assert arm["edge_emulated"] is True
    assert arm["edge_time_scale"] == fleet.EMULATED_TIME_SCALE


def test_the_image_is_cached_per_architecture() -> None:
    amd, arm = image.image_path("amd64"), image.image_path("arm64")
    assert amd != arm and image.recipe_hash("amd64") != image.recipe_hash("arm64")
    assert image.recipe("arm64")["arch"] == "arm64"
    # amd64 keeps the recipe (so the hash, so a cached image, and CI's cache key) it had
    assert image.recipe("amd64") is image.RECIPE and image.image_path() == amd
    assert amd.parent == image.CACHE and arm.parent == image.CACHE / "arm64"
    assert "--arch=arm64" in image.debootstrap_cmd("arm64", Path("/x"))


def test_a_new_recipe_removes_only_old_images_of_its_architecture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(image, "CACHE", tmp_path)
    for p in (image.image_path("amd64"), image.image_path("arm64")):
        p.mkdir(parents=True)
    old_amd, old_arm = tmp_path / "base-000000000000", tmp_path / "arm64" / "base-000000000000"
    old_amd.mkdir()
    old_arm.mkdir()
    assert image.stale_images("arm64") == [old_arm]
    assert image.stale_images("amd64") == [old_amd]


def test_unknown_architecture_has_no_recipe() -> None:
    with pytest.raises(SystemExit, match="amd64, arm64"):
        image.recipe("mips")


def test_hosts_default_to_bookworm_and_take_a_suite() -> None:
    hosts = fleet.parse_hosts("pi-lab-1:edge pi-trixie-1:edge:amd64:trixie pi-x")
    assert [(h["name"], h["arch"], h["suite"]) for h in hosts] == [
        ("pi-lab-1", "amd64", "bookworm"),
        ("pi-trixie-1", "amd64", "trixie"),
        ("pi-x", "amd64", "bookworm"),
    ]
    with pytest.raises(SystemExit, match=r"'sid'.*bookworm, trixie"):
        fleet.parse_hosts("pi-s:edge:amd64:sid")


def test_the_image_is_cached_per_suite_and_bookworm_keeps_its_recipe() -> None:
    # bookworm's recipe (so hash, cached image, CI's cache key) is the one before suites existed
    assert image.recipe("amd64", "bookworm") is image.RECIPE
    trixie = image.image_path("amd64", "trixie")
    assert trixie.parent == image.CACHE / "trixie" and trixie != image.image_path()
    assert image.recipe("amd64", "trixie")["suite"] == "trixie"
    assert image.image_path("arm64", "trixie").parent == image.CACHE / "arm64" / "trixie"
    cmd = image.debootstrap_cmd("amd64", Path("/x"), "trixie")
    assert "trixie" in cmd and "bookworm" not in cmd
    assert "bookworm" in image.debootstrap_cmd("amd64", Path("/x"))


def test_a_new_recipe_removes_only_old_images_of_its_suite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(image, "CACHE", tmp_path)
    for p in (image.image_path("amd64"), image.image_path("amd64", "trixie")):
        p.mkdir(parents=True)
    old_trixie = tmp_path / "trixie" / "base-000000000000"
    old_trixie.mkdir()
    assert image.stale_images("amd64") == []
    assert image.stale_images("amd64", "trixie") == [old_trixie]


def test_inventory_names_each_hosts_suite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fleet, "INV", tmp_path)
    monkeypatch.setattr(fleet, "KNOWN_HOSTS", tmp_path / "known_hosts")
    monkeypatch.setattr(fleet, "LIB", tmp_path / "lib")
    fleet.write_inventory(fleet.parse_hosts("pi-lab-1:edge pi-trixie-1:edge:amd64:trixie"))
    import yaml

    edge = yaml.safe_load((tmp_path / "hosts.yml").read_text())["all"]["children"]["edge"]
    assert edge["hosts"]["pi-lab-1"]["lab_suite"] == "bookworm"
    assert edge["hosts"]["pi-trixie-1"]["lab_suite"] == "trixie"


def test_entry_line_adds_flags_c_and_f_only_when_missing() -> None:
    """F: runs inside a host's root; C: setuid (sudo, Ansible's become) works on the host."""
    assert binfmt.entry_line(QEMU_CONF.format(flags="OCP")).endswith(":OCPF")
    assert binfmt.entry_line(QEMU_CONF.format(flags="OPF")).endswith(":OPFC")  # Debian's file
    assert binfmt.entry_line(QEMU_CONF.format(flags="OCPF")).endswith(":OCPF")
    assert binfmt.entry_line("# comment\n" + QEMU_CONF.format(flags="")).endswith(":CF")


@pytest.fixture
def fake_binfmt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict:
    """binfmt_misc as a folder, qemu-user-static as a file; mount/umount recorded, not run."""
    root, conf = tmp_path / "binfmt_misc", tmp_path / "qemu-aarch64.conf"
    root.mkdir()
    conf.write_text(QEMU_CONF.format(flags="OPF") + "\n")
    calls: list[list[str]] = []

    def run(cmd: list[str], check: bool) -> None:
        calls.append(cmd)
        if cmd[0] == "mount":
            (root / "register").touch()
            (root / "status").write_text("enabled\n")
        else:
            for p in root.iterdir():
                p.unlink()

    real_path = Path

    def path(p: str) -> Path:  # only qemu-user-static's binfmt.d file is redirected
        return conf if p == "/usr/lib/binfmt.d/qemu-aarch64.conf" else real_path(p)

    monkeypatch.setattr(binfmt, "BINFMT", root)
    monkeypatch.setattr(binfmt, "Path", path)
    monkeypatch.setattr(binfmt.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(binfmt.subprocess, "run", run)
    return {"root": root, "calls": calls, "marker": tmp_path / "binfmt.json"}


def _register(root: Path, flags: str = "POCF") -> None:
    (root / "qemu-aarch64").write_text(f"enabled\ninterpreter /x\nflags: {flags}\noffset 0\n")


def test_ensure_mounts_registers_and_undo_reverts_exactly_that(fake_binfmt: dict) -> None:
    root, marker, log = fake_binfmt["root"], fake_binfmt["marker"], []
    real_write = Path.write_text

    def register(self: Path, text: str) -> int:
        if self == root / "register":
            _register(root)
            assert text.endswith(":OPFC")
            return len(text)
        if self == root / "qemu-aarch64" and text == "-1":
            self.unlink()
            return 2
        return real_write(self, text)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "write_text", register)
        binfmt.ensure("arm64", marker, log.append)
        assert json.loads(marker.read_text()) == {"mounted": True, "registered": ["qemu-aarch64"]}
        assert binfmt.leftovers(marker) == ["binfmt qemu-aarch64", f"mount {root}"]
        binfmt.undo(marker, log.append)
    assert not marker.exists() and not (root / "qemu-aarch64").exists()
    assert [c[0] for c in fake_binfmt["calls"]] == ["mount", "umount"]
    assert binfmt.leftovers(marker) == []


def test_what_the_system_had_before_is_left_alone(fake_binfmt: dict) -> None:
    root, marker = fake_binfmt["root"], fake_binfmt["marker"]
    (root / "register").write_text("")
    _register(root)
    binfmt.ensure("arm64", marker, lambda _m: None)
    assert json.loads(marker.read_text()) == {"mounted": False, "registered": []}
    binfmt.undo(marker, lambda _m: None)
    assert (root / "qemu-aarch64").exists() and fake_binfmt["calls"] == []


@pytest.mark.parametrize("flags", ["OC", "POF"])
def test_an_entry_lacking_flag_c_or_f_is_refused(fake_binfmt: dict, flags: str) -> None:
    root = fake_binfmt["root"]
    (root / "register").write_text("")
    _register(root, flags=flags)
    missing = "".join(f for f in "CF" if f not in flags)
    with pytest.raises(SystemExit, match=rf"lacks flags {missing}\b.*echo -1"):
        binfmt.ensure("arm64", fake_binfmt["marker"], lambda _m: None)


def test_missing_qemu_names_the_package(fake_binfmt: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binfmt.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install qemu-user-static"):
        binfmt.ensure("arm64", fake_binfmt["marker"], lambda _m: None)

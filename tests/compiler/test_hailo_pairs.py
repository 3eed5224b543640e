"""DFC <-> HailoRT pairs: the table (edge_artifact/hailo_pairs.json), the compile refusal, what the
manifest records, and the fakes' HEF header versions. Everything that runs the DFC or HailoRT
here is verified against a fake, not on hardware (tests/fakes/hailo_sdk_client, hailo_platform).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from edge_artifact import Manifest, hailo_pairs
from edge_compiler.hef import dfc
from local_play import ANSIBLE, run_play
from tool_output import play_recap

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PYVER = f"{sys.version_info[0]}.{sys.version_info[1]}"


# -- the table ------------------------------------------------------------------------------
def test_every_pair_has_a_source_and_the_issue_pairs_are_there():
    rows = hailo_pairs.pairs()
    assert all(p.source and "hailo_model_zoo" in p.source for p in rows)
    assert {(p.dfc, p.hailort) for p in rows} >= {("3.30", "4.20"), ("3.33", "4.23")}
    assert hailo_pairs.check_target("3.30.0", "4.20.0") is None
    assert hailo_pairs.check_target("3.33.1", "4.23.0") is None  # a patch release keeps its pair
    why = hailo_pairs.check_target("3.33.0", "4.20.0")
    assert why and "install DFC 3.30 for HailoRT 4.20.0" in why
    assert "not in the table" in (hailo_pairs.check_target("3.40.0", "4.20.0") or "")


def test_load_refusal_names_the_upgrade_and_keeps_old_manifests_loadable():
    hef = {"dfc_version": "3.33.0"} | hailo_pairs.hailort_range("3.33.0")
    assert hef["hailort_min_version"] == "4.23" and hef["hailort_below_version"] == "5.0"
    assert hailo_pairs.load_refusal(hef, "4.23.0") is None
    why = hailo_pairs.load_refusal(hef, "4.20.0")
    assert why and "upgrade hailort" in why and "4.23.x" in why and "DFC 3.30" in why
    assert "Hailo-10/15" in (hailo_pairs.load_refusal(hef, "5.1.0") or "")
    assert hailo_pairs.load_refusal({"dfc_version": "3.33.0"}, "4.20.0") is None  # pre-table


def test_table_ships_in_the_edge_artifact_package():
    text = (ROOT / "artifact" / "pyproject.toml").read_text()
    assert '"hailo_pairs.json"' in text


# -- compile refusal ------------------------------------------------------------------------
def test_dfc_not_paired_with_target_hailort_is_refused_verified_against_fake(
    fakes_on_path, art, tmp_path
):
    """The fake DFC is 3.33; a fleet on HailoRT 4.20 cannot load its HEF. Fails on the old code
    (no target check: the HEF was built)."""
    opts = dfc.HefOptions(work_dir=tmp_path / "w", target_hailort="4.20.0")
    with pytest.raises(dfc.DfcError, match=r"refusing.*DFC 3\.30 for HailoRT 4\.20\.0.*allow"):
        dfc.compile_hef(art, opts, log=lambda _m: None)
    assert "encoder.hef" not in Manifest.read(art).files


def test_paired_or_allowed_dfc_records_the_hailort_range_verified_against_fake(
    fakes_on_path, art, tmp_path, monkeypatch
):
    res = dfc.compile_hef(
        art, dfc.HefOptions(work_dir=tmp_path / "w", target_hailort="4.23.0"), log=lambda _m: None
    )
    assert res.status == "built", res.reason
    hb = Manifest.read(art).backend("hailo")
    assert hb["dfc_version"] == "3.33.0+fake"
    assert (hb["hailort_min_version"], hb["hailort_below_version"]) == ("4.23", "5.0")
    assert "v2.17" in hb["hailort_pair_source"]

    import hailo_sdk_client
    import hailo_sdk_client._runner as runner

    for mod, name in ((runner, "VERSION"), (hailo_sdk_client, "__version__")):
        monkeypatch.setattr(mod, name, "3.40.0+fake")  # an unpaired DFC the user vouches for
    opts = dfc.HefOptions(work_dir=tmp_path / "w2", target_hailort="4.23.0")
    with pytest.raises(dfc.DfcError, match="not in the table"):
        dfc.compile_hef(art, opts, log=lambda _m: None)
    opts = dfc.HefOptions(work_dir=tmp_path / "w2", target_hailort="4.23.0", allow_unpaired=True)
    assert dfc.compile_hef(art, opts, log=lambda _m: None).status == "built"
    hb = Manifest.read(art).backend("hailo")
    assert hb["hailort_min_version"] == "4.23" and "unchecked" in hb["hailort_pair_source"]


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_compile_preflight_refuses_an_unpaired_dfc_wheel(tmp_path):
    """compile.yml stops before installing a DFC 3.33 wheel for a HailoRT 4.20 fleet."""
    wh = tmp_path / "wheelhouse"
    (wh / "project").mkdir(parents=True)
    (wh / "toolchain.tar").write_text("")
    wheels = {}
    for v in ("3.33.0", "3.30.0"):
        wheels[v] = tmp_path / f"hailo_dataflow_compiler-{v}-py3-none-linux_x86_64.whl"
        wheels[v].write_text("")
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "hailo_compiler_python": sys.executable, "hailo_compiler_wheelhouse": str(wh),
            "hailo_compiler_repo": str(ROOT), "hailo_compiler_dfc_allow_unsupported_os": True,
            "hailo_compiler_dfc_python_versions": [PYVER]}  # fmt: skip
    inventory = {"gpusrv": {"hosts": {
        "dfc333": host | {"hailo_compiler_dfc_wheel": str(wheels["3.33.0"])},
        "dfc330": host | {"hailo_compiler_dfc_wheel": str(wheels["3.30.0"])},
        "allowed": host | {"hailo_compiler_dfc_wheel": str(wheels["3.33.0"]),
                           "hailo_compiler_allow_unpaired_dfc": True},
    }}}  # fmt: skip
    play = (
        "- hosts: gpusrv\n  gather_facts: true\n  gather_subset: [min]\n  tasks:\n"
        "    - ansible.builtin.include_role: {name: hailo_compiler, tasks_from: preflight}\n"
    )
    r = run_play(tmp_path, inventory, play)
    out = r.stdout + r.stderr  # for people and message searches; the recap is read from stdout
    failed = {host: counts["failed"] for host, counts in play_recap(r.stdout).items()}
    assert failed == {"dfc333": 1, "dfc330": 0, "allowed": 0}, out
    assert (
        "is DFC 3.33, but the fleet runs HailoRT 4.20.0 (the hailort role's default pin" in out
    ), out
    assert "Hailo ships 3.30 with HailoRT 4.20" in out, out


# -- the fakes' header versions -------------------------------------------------------------
@pytest.mark.parametrize(
    ("runtime", "dfc_version", "status"),
    [
        ("4.20.0", "3.33.0+fake", "HailoRTInvalidHEFException"),  # 4.20: HAILO_INVALID_HEF (26)
        ("4.21.0", "3.33.0+fake", "error: 92 (HAILO_HEF_NOT_SUPPORTED)"),
        ("4.19.0", "3.30.0", "HailoRTInvalidHEFException"),  # header 2 > 4.19's 1
        ("4.20.0", "3.30.0", None),
        ("4.23.0", "3.30.0", None),  # newer HailoRT reads older headers
        ("4.23.0", "3.33.0+fake", None),
    ],
)
def test_fake_runtime_refuses_a_header_it_is_too_old_for_verified_against_fake(
    fakes_on_path, monkeypatch, runtime, dfc_version, status
):
    """hailort hef.cpp Hef::Impl::parse_hef_file: v4.20.0 reads header versions 0-2 and returns
    HAILO_INVALID_HEF otherwise; v4.21.0+ read 0-3 and return HAILO_HEF_NOT_SUPPORTED. Fails on
    the old fake (it opened every HEF from DFC <= 3.33 whatever its own version)."""
    import hailo_platform
    from hailo_platform import _api
    from hailo_sdk_client import fake_hef

    monkeypatch.setattr(hailo_platform, "__version__", runtime)
    header = {"dfc_version": dfc_version,
              "hef_header_version": fake_hef.header_version_for(dfc_version)}  # fmt: skip
    if status is None:
        _api.refuse_unreadable(header)
        return
    with pytest.raises(hailo_platform.HailoRTException) as exc:
        _api.refuse_unreadable(header)
    assert status in f"{type(exc.value).__name__}: {exc.value}"


def test_fake_dfc_writes_the_header_version_of_its_pair_verified_against_fake(fakes_on_path):
    from hailo_sdk_client import fake_hef

    versions = ("3.29.0", "3.30.0", "3.31.0", "3.33.0+fake")
    assert [fake_hef.header_version_for(v) for v in versions] == [1, 2, 3, 3]

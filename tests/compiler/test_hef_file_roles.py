"""The DFC step writes the role of each file it adds (issue 28 item 7: the manifest says which
files reach a Pi): the HEF serves, the DFC's archive and model script are build files, its parity
report and plot are reports, and the roles already there are kept when the files are re-hashed.
Verified against a fake DFC (tests/fakes/hailo_sdk_client), not on hardware.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from edge_artifact.pack import pack
from edge_compiler.hef import dfc


def test_a_hef_build_gives_every_file_its_role_verified_against_fake(
    fakes_on_path: Path, art: Path, tmp_path: Path
) -> None:
    """Fails when the DFC step leaves roles out (update_manifest without with_roles)."""
    opts = dfc.HefOptions(work_dir=tmp_path / "w", target_hailort="4.23.0")
    assert dfc.compile_hef(art, opts, log=lambda _m: None).status == "built"
    files = json.loads((art / "manifest.json").read_text())["files"]
    roles = {n: e.get("role") for n, e in files.items()}
    assert None not in roles.values(), roles
    assert roles["encoder.hailo8l.hef"] == "serve", roles
    assert roles["encoder.hailo8l.har"] == roles["encoder.hailo8l.alls"] == "build", roles
    assert roles["hailo_parity.hailo8l.json"] == roles["hailo_parity.hailo8l.png"] == "report"
    assert roles["golden.npz"] == "serve" and roles["calibration.npy"] == "calibration", roles
    with tarfile.open(pack(art, tmp_path / "out")["path"]) as tar:
        shipped = set(tar.getnames())
    assert shipped == {n for n, r in roles.items() if r == "serve"} | {"manifest.json"}
    assert "encoder.hailo8l.hef" in shipped and "encoder.hailo8l.har" not in shipped

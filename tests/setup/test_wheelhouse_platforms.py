"""The wheelhouse scripts ask pip for every manylinux tag the target accepts.

pip download takes only the platform tags it is given: `--platform manylinux_2_28_x86_64` alone
missed numpy 1.26.4 (published as manylinux2014/_2_17 only), so `make compile-wheelhouse
COMPILE_PYTHON_VERSION=...` failed. Both scripts now share scripts/project-wheels.sh's
manylinux_platforms.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _platforms(arch: str, glibc_max: int) -> list[str]:
    out = subprocess.run(
        ["bash", "-c", f". scripts/project-wheels.sh; manylinux_platforms {arch} {glibc_max}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert out[::2] == ["--platform"] * (len(out) // 2), out
    return out[1::2]


def test_every_manylinux_tag_up_to_the_hosts_glibc() -> None:
    tags = _platforms("x86_64", 35)
    assert tags[0] == "manylinux2014_x86_64"
    assert tags[1:] == [f"manylinux_2_{g}_x86_64" for g in range(17, 36)]
    assert "manylinux_2_36_x86_64" not in tags  # newer than Ubuntu 22.04's glibc


def test_both_wheelhouse_scripts_use_the_shared_tag_list() -> None:
    for script in ("scripts/wheelhouse.sh", "scripts/compile-wheelhouse.sh"):
        text = (ROOT / script).read_text()
        assert "manylinux_platforms" in text, script
        assert "--platform manylinux_2_28" not in text, f"{script}: a single platform tag"

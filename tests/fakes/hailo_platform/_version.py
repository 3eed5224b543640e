"""Which HailoRT the fake is (fake): by default the version the fleet pins, read from the one
place it is set, `hailort_version` in roles/hailort/defaults/main.yml; FAKE_HAILORT_VERSION
overrides it (a test of another release). Behaviour that differs between releases asks
`at_least()` with the running version (hailo_platform.__version__, which tests may patch).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ENV = "FAKE_HAILORT_VERSION"
ROLE_DEFAULTS = Path(__file__).resolve().parents[3] / "roles" / "hailort" / "defaults" / "main.yml"
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def role_pin(defaults: Path = ROLE_DEFAULTS) -> str:
    """`hailort_version` of the hailort role's defaults: the HailoRT the fleet runs."""
    try:
        value = str(yaml.safe_load(defaults.read_text())["hailort_version"])
    except (OSError, KeyError, TypeError) as exc:
        raise RuntimeError(
            f"fake hailo_platform: cannot read hailort_version from {defaults} ({exc}); "
            f"set {ENV}=<major.minor.patch> to choose the fake's HailoRT version"
        ) from exc
    if not _VERSION.match(value):
        raise RuntimeError(
            f"fake hailo_platform: hailort_version {value!r} in {defaults} is not "
            f"major.minor.patch; set {ENV} to choose the fake's HailoRT version"
        )
    return value


def default() -> str:
    return os.environ.get(ENV) or role_pin()


def minor(version: str) -> tuple[int, int]:
    major, minor_ = [*str(version).split("+")[0].split("."), "0"][:2]
    return int(major), int(minor_)


def running() -> tuple[int, int]:
    from . import __version__

    return minor(__version__)


def at_least(major: int, minor_: int) -> bool:
    """True when the running fake HailoRT is major.minor or newer."""
    return running() >= (major, minor_)

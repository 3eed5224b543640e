"""Fleet checks run through testinfra's Ansible backend against inventory/lab (`make test-lab`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the controller-side Ansible runs (site.yml, ad-hoc modules) are tests/deploy/deploylib.py's;
# `make test-lab-arm64` collects tests/fleet alone, so its folder is not on sys.path otherwise
if str(ROOT / "tests" / "deploy") not in sys.path:
    sys.path.append(str(ROOT / "tests" / "deploy"))
# testinfra's Ansible backend shells out to ansible-inventory: use the controller venv's
os.environ["PATH"] = f"{ROOT / '.venv-ctl' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

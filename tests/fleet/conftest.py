"""Fleet checks run through testinfra's Ansible backend against inventory/lab (`make test-lab`)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB_INVENTORY = Path(os.environ.get("DEPLOY_INVENTORY", ROOT / "inventory" / "lab"))
# testinfra's Ansible backend shells out to ansible-inventory: use the controller venv's
os.environ["PATH"] = f"{ROOT / '.venv-ctl' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

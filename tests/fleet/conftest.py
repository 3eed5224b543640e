"""Fleet checks run through testinfra's Ansible backend against inventory/lab (`make test-lab`)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the controller-side Ansible runs (site.yml, ad-hoc modules) are tests/deploy/deploylib.py's,
# importable through pytest.ini's pythonpath even when tests/fleet is collected alone
# testinfra's Ansible backend shells out to ansible-inventory: use the controller venv's
os.environ["PATH"] = f"{ROOT / '.venv-ctl' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

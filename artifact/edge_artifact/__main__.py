"""`python -m edge_artifact ...`: see edge_artifact.cli."""

import sys

from edge_artifact.cli import main

sys.exit(main())

"""`python -m edge_compiler ...`: see edge_compiler.cli."""

from edge_compiler.cli import main

raise SystemExit(main())

from edge_compiler.cli import main

raise SystemExit(main())

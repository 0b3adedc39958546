"""`python -m clearance.cli ...`, the same as the `clearance` command."""

from clearance.cli.main import main

raise SystemExit(main())

"""`clearance` command line: check, policy lint, serve, audit and the demo."""

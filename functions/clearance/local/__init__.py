"""The one-machine stack: the same handlers against a local AWS endpoint, no cloud account."""

"""Lambda entry points: translate an event, call the core, write the results."""

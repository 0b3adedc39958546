"""Lambda entry points: translate an event, call a service, return its answer."""

"""Adapters for the network outside AWS: the outbound HTTP client a feed poller fetches with,
obeying the rules of `clearance.feeds.outbound` on every hop."""

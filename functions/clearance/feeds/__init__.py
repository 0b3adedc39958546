"""Feeds the licensee pulls: subscriptions, their cursors and health, what one poll delivers,
and the rules every outbound request obeys. Pure: the fetching itself is `clearance.net`'s."""

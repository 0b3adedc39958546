"""The words licences use for how an article is republished: purposes (uses) and channels.

One list each, shared by the licensee's settings, policy lint and the rights a feed carries, so a
licence can only name a circumstance a licensee can be in.
"""

from __future__ import annotations

USES = ("editorial", "commercial", "internal")
"""RightsML `purpose` values."""

CHANNELS = ("web", "print", "mobile", "broadcast", "social", "newsletter")
"""ODRL `deliveryChannel` values."""

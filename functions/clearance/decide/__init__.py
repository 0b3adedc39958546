"""One delivery to one decision: findings, outcomes, rendering and checking cleared copies.

Pure: time, the licensee and everything known about the article are passed in.
May import `terms`, `ingest` and `contracts`.
"""

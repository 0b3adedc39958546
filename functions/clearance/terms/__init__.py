"""A provider's terms as data: policies loaded and compiled once, linted, notices compared.

Lint keeps every policy regex RE2-compatible and free of backtracking shapes.
May import `ingest` and `contracts`.
"""

"""The audit log read back: queries, hourly digests, Merkle trees, verification, the report.

Imports nothing of the engine, so the audit functions stay light. May import `decide.findings`
(the outcome and finding vocabulary) and `contracts`.
"""

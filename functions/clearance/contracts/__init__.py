"""What every wing agrees on: the project's JSON Schemas and where things live in S3.

Owns the schema registry (never a network `$ref`), the RE2-backed validator, schema-error
pointers, canonical JSON, media types, every S3 key built and parsed in one place, and the
audit record's vocabulary (`vocabulary`).
Imports nothing of the project.
"""

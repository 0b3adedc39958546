"""clearance: republication and licensing compliance for syndicated news.

The package is laid out in wings along an article's path; imports run one way, from the top:

    cli | local        the command line and the one-machine stack
    handlers           one thin module per Lambda entry point
    services           each function's collaborators: read, call the core, act
    aws                the only place that talks to AWS
    lifecycle | audit  what a decision does to stored copies; the audit log read back
    decide             rules and constraints to findings, cleared copies, the Decision
    terms              provider policies: loading, lint, safe regular expressions, notices
    ingest             untrusted bytes to an Article; webhook signatures and intake
    contracts          the project's schemas and the S3 key layout

Everything below `aws` is pure: no boto3, no environment, no clock. `pyproject.toml` holds the
import-linter contracts that keep it so.
"""

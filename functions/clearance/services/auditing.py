"""Did every kill's copies come down in time: `clearance audit kills` and the audit routes ask
it the same way. Nothing of the engine or the schemas is loaded: the audit review function
imports it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from clearance.audit.kills import KillStatus, is_kill, is_kill_deadline, kill_statuses
from clearance.audit.query import AuditQuery, record_matches
from clearance.aws.auditlog import AuditLog
from clearance.aws.store import Bucket
from clearance.decide.findings import Outcome


def kills_in(log: AuditLog, cleared: Bucket, query: AuditQuery, now: datetime) -> list[KillStatus]:
    """Each kill in the query's period, judged against the copies still under its prefix."""
    query = replace(query, outcome=Outcome.WITHDRAWN.value)
    # A kill's deadline record comes after it, perhaps after `to`: read on, bound the kills.
    records = [
        record
        for record in log.records(replace(query, end=None))
        if is_kill_deadline(record) or (is_kill(record) and record_matches(record, query))
    ]
    remaining = {
        record["article"]["id"]: list(cleared.keys(record["withdrawn_prefix"]))
        for record in records
        if is_kill(record) and record["withdrawn_prefix"]
    }
    return kill_statuses(records, now, remaining)

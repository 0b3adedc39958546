"""`clearance replay DECISION_ID`: a stored decision made again, and whether it comes out the same.

Reads the decision record from the audit bucket, the delivery it names from the inbound bucket
(at the object version recorded), and the terms text by the SHA-256 the record names: from the
audit bucket's kept texts, else from the policies shipped with this package. Exit 0 identical,
1 different, 2 when something a replay needs is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from typing import Any, TextIO

from clearance.aws import clients
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.contracts.circumstances import CHANNELS, USES
from clearance.decide.licensee import Licensee, LicenseeError
from clearance.lifecycle.replay import NotReplayable, licensee_of, replay
from clearance.local.resources import Names
from clearance.terms.lint import lint_policy_bytes
from clearance.terms.policy import Policy, PolicySet, policy_from_document


class ReplayError(Exception):
    """What a replay needs and cannot find, in one line."""


def add_replay_command(commands: Any) -> None:
    parser = commands.add_parser("replay", help="decide a recorded decision again and compare")
    parser.add_argument("decision_id", metavar="DECISION_ID")
    parser.add_argument(
        "--bucket", default=os.environ.get("AUDIT_BUCKET") or Names().bucket("audit")
    )
    parser.add_argument("--day", help="the decision's date (YYYY-MM-DD), to find it faster")
    parser.add_argument("--json", action="store_true", help="the result as one JSON object")
    parser.add_argument("--territory", help="for records that do not state the licensee")
    parser.add_argument("--use", choices=USES)
    parser.add_argument("--channel", choices=CHANNELS)


def run_replay(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    audit = Bucket(clients.s3(), args.bucket)
    try:
        record = _record(audit, args.decision_id, args.day)
        policy = _terms(audit, record)
        licensee = _licensee(record, args)
        source = record["source"]
        stored = Bucket(clients.s3(), source["bucket"]).get(source["key"], source["version_id"])
        if stored is None:
            raise ReplayError(f"the delivery s3://{source['bucket']}/{source['key']} is gone")
        result = replay(record, stored.data, policy, licensee)
    except (ReplayError, NotReplayable, LicenseeError) as error:
        print(f"clearance replay: {error}", file=sys.stderr)
        return 2
    if args.json:
        summary = {
            "decision_id": record["decision_id"],
            "identical": result.identical,
            "differences": list(result.differences),
            "replayed": result.decision.to_dict(),
        }
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        terms = f"{policy.id} {policy.version} ({policy.sha256[:12]})"
        out.write(
            f"{record['decision_id']}: {record['outcome']} at {record['decided_at']} under "
            f"{terms} for {licensee.territory}/{licensee.use}/{licensee.channel}\n"
        )
        out.write("replayed: identical\n" if result.identical else "replayed: DIFFERENT\n")
        out.writelines(f"  {line}\n" for line in result.differences)
    return 0 if result.identical else 1


def _record(audit: Bucket, decision_id: str, day: str | None) -> dict[str, Any]:
    prefix = keys.decision_day_prefix(day) if day else keys.DECISIONS
    suffix = f"/{decision_id}.json"
    for key in audit.keys(prefix):
        if key.endswith(suffix):
            stored = audit.get(key)
            if stored is not None:
                record: dict[str, Any] = json.loads(stored.data)
                return record
    raise ReplayError(f"no decision {decision_id} in s3://{audit.name}/{prefix}")


def _terms(audit: Bucket, record: dict[str, Any]) -> Policy:
    """The terms text the record names, checked against its hash: kept texts first, then ours."""
    ref = record.get("policy")
    if not ref:
        raise NotReplayable(
            "the record names no terms: the delivery was refused before any applied"
        )
    stored = audit.get(keys.policy_text_key(record["provider"], ref["sha256"]))
    if stored is not None and hashlib.sha256(stored.data).hexdigest() == ref["sha256"]:
        document, problems = lint_policy_bytes(stored.data)
        if document is None or problems:
            raise ReplayError(f"the kept terms text {ref['sha256']} no longer loads: {problems}")
        return policy_from_document(document, stored.data)
    shipped = PolicySet.load().by_sha256(ref["sha256"])
    if shipped is None:
        raise ReplayError(
            f"the terms text {ref['id']} {ref['version']} ({ref['sha256']}) is kept neither in "
            f"s3://{audit.name}/{keys.POLICIES} nor in this package"
        )
    return shipped


def _licensee(record: dict[str, Any], args: argparse.Namespace) -> Licensee:
    recorded = licensee_of(record)
    if recorded is not None:
        return recorded
    if args.territory is None or args.use is None:
        raise ReplayError(
            "the record does not state the licensee it was decided for; give --territory and --use"
        )
    return Licensee.of(args.territory, args.use, args.channel or "web")

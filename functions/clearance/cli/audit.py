"""`clearance audit list|show|export|verify|report|kills|prove|check-proof`: the audit log for a
compliance officer, and proofs for a licensor.

Runs against the local stack or a real account with the same code: the endpoint comes from
AWS_ENDPOINT_URL (and credentials from the usual AWS variables), the bucket from AUDIT_BUCKET
or `--bucket` (and, for `kills`, the cleared bucket from CLEARED_BUCKET or `--cleared-bucket`).
`check-proof` needs neither: it reads one file and, if given, the licensor's copy of the key.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from clearance.audit.chain import reject_constant
from clearance.audit.export import export
from clearance.audit.kills import KillStatus, KillVerdict
from clearance.audit.proof import ProofError, build_proof, check_proof
from clearance.audit.query import PARAMETERS, AuditQuery, QueryError, parse_query
from clearance.audit.report import render_report
from clearance.audit.seals import article_body
from clearance.audit.segment import decided_hour
from clearance.audit.signature import PublicKeyVerifier, UnreadableKey, parse_fingerprint
from clearance.audit.verification import Verification
from clearance.aws import clients
from clearance.aws.auditlog import AuditLog, Seal
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import public_key_der
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.decide.findings import Finding, main_finding
from clearance.local.resources import Names
from clearance.services.auditing import kills_in
from clearance.services.verification import verify_period


def add_audit_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="review the compliance audit log")
    actions = audit.add_subparsers(dest="audit_command", required=True, parser_class=parser_class)
    for name, text in (
        ("list", "decisions, newest first"),
        ("export", "decisions as CSV or JSON lines"),
        ("report", "an HTML report"),
        ("verify", "check the digest chain and every record"),
    ):
        action = actions.add_parser(name, help=text)
        _filters(action, paging=name == "list")
        action.add_argument(
            "--bucket", default=os.environ.get("AUDIT_BUCKET") or Names().bucket("audit")
        )
        if name == "list":
            action.add_argument(
                "--json", action="store_true", help="one decision per line, as JSON"
            )
        if name == "export":
            action.add_argument("--format", choices=["csv", "jsonl"], default="csv")
            action.add_argument("--out", help="file to write (default: standard output)")
        if name == "report":
            action.add_argument("--html", required=True, help="the report file to write")
        if name in ("report", "verify"):
            _key_argument(action)
            action.add_argument(
                "--as-at",
                type=_instant,
                metavar="TIME",
                help="verify as at this ISO 8601 time: every hour that ended more than 2 hours "
                "before it must have a digest (default: now)",
            )
    _proof_commands(actions)
    show = actions.add_parser("show", help="every decision about one article")
    show.add_argument("article_id", metavar="ID")
    show.add_argument("--bucket", default=os.environ.get("AUDIT_BUCKET") or Names().bucket("audit"))
    kill_parser = actions.add_parser("kills", help="kills, and whether copies came down in time")
    for name in ("provider", "from", "to"):
        kill_parser.add_argument(f"--{name}", dest=f"q_{name}")
    kill_parser.add_argument(
        "--overdue", action="store_true", help="only kills not complete (overdue or incomplete)"
    )
    kill_parser.add_argument("--json", action="store_true", help="one kill per line, as JSON")
    kill_parser.add_argument(
        "--bucket", default=os.environ.get("AUDIT_BUCKET") or Names().bucket("audit")
    )
    kill_parser.add_argument(
        "--cleared-bucket",
        default=os.environ.get("CLEARED_BUCKET") or Names().bucket("cleared"),
        help="where the cleared copies are (default: CLEARED_BUCKET)",
    )


def _proof_commands(actions: Any) -> None:
    """`prove` writes a proof and prints the key's fingerprint; `check-proof` pins it."""
    prove = actions.add_parser("prove", help="a proof file for one article, checkable offline")
    prove.add_argument("article_id", metavar="ARTICLE_ID")
    prove.add_argument("--version", help="only the decisions about this version")
    prove.add_argument("--out", help="file to write (default: standard output)")
    prove.add_argument(
        "--bucket", default=os.environ.get("AUDIT_BUCKET") or Names().bucket("audit")
    )
    _key_argument(prove)
    check = actions.add_parser("check-proof", help="check a proof file offline, without AWS")
    check.add_argument("file", metavar="FILE")
    pin = check.add_mutually_exclusive_group()
    pin.add_argument(
        "--public-key", metavar="PEM", help="the digest key's public part, as you were given it"
    )
    pin.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help="the digest key's fingerprint, as you were given it: the SHA-256 of its DER "
        "SubjectPublicKeyInfo (`clearance audit prove` prints it)",
    )


def _key_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key",
        default=os.environ.get("DIGEST_KEY_ID"),
        help="the KMS key that signs digests (default: DIGEST_KEY_ID)",
    )


def _filters(parser: argparse.ArgumentParser, *, paging: bool) -> None:
    for name in PARAMETERS:
        if name in ("limit", "next") and not paging:
            continue
        parser.add_argument(f"--{name}", dest=f"q_{name}")


def _instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone (e.g. Z or +00:00): {value!r}")
    return instant.astimezone(UTC)


def query_from(args: argparse.Namespace) -> AuditQuery:
    params = {name: getattr(args, f"q_{name}", None) for name in PARAMETERS}
    return parse_query({name: value for name, value in params.items() if value is not None})


def open_log(bucket: str) -> AuditLog:
    return AuditLog(Bucket(clients.s3(), bucket))


def run_audit(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit 0; 1 when `verify` finds a problem, `show` finds nothing or a record unlike its
    sealed copy, `check-proof` a proof that does not hold against a pinned key, or `kills` a kill
    not complete; 2 when a key cannot be used."""
    out = out or sys.stdout
    if args.audit_command == "check-proof":
        return check_proof_file(args, out)
    log = open_log(args.bucket)
    try:
        return _run(args, log, out)
    except UnreadableKey as error:
        print(
            f"clearance: --key {args.key}: its public key cannot be used: {error}", file=sys.stderr
        )
        return 2


def _run(args: argparse.Namespace, log: AuditLog, out: TextIO) -> int:
    if args.audit_command == "prove":
        return prove(args, log, out)
    if args.audit_command == "show":
        return show(args.article_id, log, out)
    if args.audit_command == "kills":
        return kills(args, log, out)
    query = query_from(args)
    if args.audit_command == "list":
        page = log.page(query)
        for record in page.records:
            seal = page.seals.get(str(record.get("decision_id")))
            out.write(
                (json.dumps(record, ensure_ascii=False) if args.json else summary(record, seal))
                + "\n"
            )
        if page.next_token:
            out.write(f"more: --next {page.next_token}\n")
        return 0
    if args.audit_command == "export":
        target = open(args.out, "w", encoding="utf-8", newline="") if args.out else out  # noqa: SIM115 - closed below unless it is stdout
        try:
            export(log.records(query), args.format, target)
        finally:
            if args.out:
                target.close()
        return 0
    if args.audit_command == "verify":
        result = verify(args, query)
        out.write(verification_text(result) + "\n")
        return 0 if result.ok else 1
    if args.audit_command == "report":
        checked = verify(args, query) if args.key else None
        html = render_report(
            list(log.records(query)),
            checked,
            title="Compliance audit report",
            generated_at=datetime.now(UTC),
            filters=query.filters(),
        )
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(html)
        out.write(f"wrote {args.html}\n")
        return 0
    raise QueryError("command", f"unknown audit command {args.audit_command}")


def verify(args: argparse.Namespace, query: AuditQuery) -> Verification:
    """Check the digest chain over the query's period (`auditing.verify_period`)."""
    if not args.key:
        raise QueryError("key", "give the digest signing key with --key or DIGEST_KEY_ID")
    store = DigestStore(Bucket(clients.s3(), args.bucket))
    verifier = PublicKeyVerifier.from_der(
        public_key_der(clients.kms(), args.key), frozenset({args.key})
    )
    return verify_period(store, verifier, query, args.as_at or datetime.now(UTC))


def show(article_id: str, log: AuditLog, out: TextIO) -> int:
    """Every decision about one article, each marked against its sealed copy, with a warning
    line for each that is not what was sealed."""
    viewed = log.article_view(article_id)
    out.write(json.dumps(article_body(article_id, viewed), indent=2, ensure_ascii=False) + "\n")
    if not viewed:
        print(f"clearance: no decisions recorded for article {article_id}", file=sys.stderr)
    alarming = [item.seal for item in viewed if item.seal.alarming]
    for seal in alarming:
        print(f"clearance: WARNING {seal.state.value}: {seal.message}", file=sys.stderr)
    return 0 if viewed and not alarming else 1


def prove(args: argparse.Namespace, log: AuditLog, out: TextIO) -> int:
    """One file proving an article's decisions: records, inclusion proofs, digests, key."""
    if not args.key:
        raise QueryError("key", "give the digest signing key with --key or DIGEST_KEY_ID")
    records = [
        (key, data)
        for key, data in log.article_records(args.article_id)
        if args.version is None or _version(data) == args.version
    ]
    if not records:
        what = f" version {args.version}" if args.version else ""
        print(
            f"clearance: no decisions recorded for article {args.article_id}{what}", file=sys.stderr
        )
        return 1
    digests: dict[str, bytes] = {}
    for key, data in records:
        hour = decided_hour(key, data)
        for moment in (hour, hour + timedelta(hours=1)) if hour else ():
            name = keys.digest_key(moment)
            if name not in digests and (found := log.digest(moment)) is not None:
                digests[name] = found
    verifier = PublicKeyVerifier.from_der(public_key_der(clients.kms(), args.key))
    try:
        proof = build_proof(args.article_id, records, digests, verifier.pem, args.key)
    except ProofError as error:
        print(f"clearance: {error}", file=sys.stderr)
        return 1
    text = json.dumps(proof, indent=1, ensure_ascii=False) + "\n"
    pin = (
        f"signed by the digest key with fingerprint {verifier.fingerprint}: give licensors that "
        "fingerprint, or the key's PEM, to pin with check-proof"
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        out.write(
            f"wrote {args.out}: {len(proof['records'])} records, {len(digests)} digests; {pin}\n"
        )
    else:
        out.write(text)
        print(f"clearance: {pin}", file=sys.stderr)
    return 0


def check_proof_file(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when every claim of the proof holds against a pinned key; 1 when one fails or no
    key is pinned; 2 when the file or a key cannot be read. No AWS access."""
    try:
        fingerprint = parse_fingerprint(args.fingerprint) if args.fingerprint else None
    except ValueError as error:
        print(f"clearance: --fingerprint: {error}", file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
        pem = None
        if args.public_key:
            with open(args.public_key, "rb") as handle:
                pem = handle.read()
    except OSError as error:
        print(f"clearance: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        proof = json.loads(data, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        proof = None
    try:
        result = check_proof(proof, pem, fingerprint=fingerprint)
    except UnreadableKey as error:
        where = f"--public-key {args.public_key}" if pem is not None else args.file
        print(f"clearance: {where}: {error}", file=sys.stderr)
        return 2
    for line in result.checked:
        out.write(f"ok    {line}\n")
    for line in result.failures:
        out.write(f"FAIL  {line}\n")
    if result.ok:
        out.write("proof holds\n")
    elif result.checked and not result.failures:
        out.write(
            "NOT PINNED  the digests were checked against the key inside the proof, and anyone "
            "can make a proof with a key of their own: pin the key the publisher gave you with "
            "--public-key KEY.pem or --fingerprint SHA256 (not one read from this file)\n"
            "proof NOT shown to hold: its key is not pinned\n"
        )
    else:
        out.write("proof does NOT hold\n")
    return 0 if result.ok else 1


def _version(data: bytes) -> str | None:
    try:
        return str(json.loads(data)["article"]["version"])
    except (ValueError, KeyError, TypeError):
        return None


def kills(args: argparse.Namespace, log: AuditLog, out: TextIO) -> int:
    """Each kill in the period, judged against the copies still under its prefix."""
    cleared = Bucket(clients.s3(), args.cleared_bucket)
    statuses = kills_in(log, cleared, query_from(args), datetime.now(UTC))
    failing = [status for status in statuses if status.verdict is not KillVerdict.COMPLETE]
    for status in failing if args.overdue else statuses:
        out.write(
            (json.dumps(status.to_dict(), ensure_ascii=False) if args.json else kill_line(status))
            + "\n"
        )
    return 1 if failing else 0


def kill_line(status: KillStatus) -> str:
    def when(moment: datetime | None, absent: str) -> str:
        return moment.isoformat() if moment else absent

    left = f": {len(status.remaining)} still present" if status.remaining else ""
    return (
        f"{status.provider:16} {status.article_id}  received {when(status.received, '-')}"
        f"  deadline {when(status.deadline, 'none')}  completed {when(status.completed, 'not yet')}"
        f"  removed {len(status.removed)}  {status.verdict.value}{left}"
    )


def verification_text(result: Verification) -> str:
    if result.ok:
        return result.summary
    lines = [f"{result.summary}:"]
    for problem in result.problems:
        lines.append(f"  {problem.kind}: {problem.key}: {problem.message}")
        lines += [f"      unproven record {record}" for record in problem.records]
    return "\n".join(lines)


SEAL_MARKS = {
    Seal.OPEN: "  [open hour: not yet sealed]",
    Seal.UNSEALED: "  [UNSEALED: in no digest of its hour; run clearance audit verify]",
}


def summary(record: dict[str, Any], seal: Seal | None = None) -> str:
    main = main_finding(Finding.from_dict(f) for f in record["findings"])
    reason = f"  {main.rule_id}: {main.message}" if main else ""
    headline = (record["article"]["headline"] or "-")[:60]
    provider = record["provider"] or "-"
    mark = SEAL_MARKS.get(seal, "") if seal else ""
    return f"{record['decided_at']}  {provider:16} {record['outcome']:9} {headline}{reason}{mark}"

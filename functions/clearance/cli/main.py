"""`clearance` command line: check articles against provider terms, lint policies.

Exit codes: 0 all cleared (or policies clean), 1 something was not, 2 a usage error.
Errors are one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from clearance.audit.query import QueryError
from clearance.cli.audit import add_audit_commands, run_audit
from clearance.cli.feeds import add_feeds_commands, run_feeds
from clearance.cli.queue import add_queue_commands, run_queue
from clearance.cli.replay import add_replay_command, run_replay
from clearance.cli.review import add_review_commands, run_review
from clearance.cli.serve import add_arguments as add_serve_arguments
from clearance.cli.serve import run as serve
from clearance.contracts import media
from clearance.contracts.circumstances import CHANNELS, USES
from clearance.contracts.keys import article_id, version_segment
from clearance.contracts.territory import TerritoryError, territory_code
from clearance.decide.engine import Decision, clear_each
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.terms.lint import lint_policy_file
from clearance.terms.policy import PolicySet, default_policy_dir, policy_files


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="clearance", description="Licensing compliance for syndicated news.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = commands.add_parser("check", help="decide articles against their provider's terms")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--provider", help="provider id, when the sender says who sent it")
    check.add_argument(
        "--policies",
        type=Path,
        metavar="DIR",
        help="policies to add to the shipped ones (a provider's versions are merged)",
    )
    check.add_argument(
        "--only-policies",
        action="store_true",
        help="use only the policies in --policies DIR, not the shipped ones",
    )
    check.add_argument(
        "--now", type=_instant, help="decide as at this ISO 8601 time (default: now)"
    )
    check.add_argument(
        "--territory",
        default="GB",
        type=_territory,
        help="licensee territory, ISO 3166-1 alpha-2 or alpha-3 (default: GB)",
    )
    check.add_argument("--use", default="editorial", choices=USES)
    check.add_argument("--channel", default="web", choices=CHANNELS)
    check.add_argument("--out", type=Path, help="write cleared copies under this directory")
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    policy = commands.add_parser("policy", help="work with provider policies")
    policy_commands = policy.add_subparsers(
        dest="policy_command", required=True, parser_class=_Parser
    )
    lint = policy_commands.add_parser("lint", help="check policy files")
    lint.add_argument("files", nargs="*", type=Path, metavar="FILE")
    serve = commands.add_parser("serve", help="run the whole service on this machine (loopback)")
    add_serve_arguments(serve)
    add_audit_commands(commands, _Parser)
    add_review_commands(commands, _Parser)
    add_replay_command(commands)
    add_queue_commands(commands, _Parser)
    add_feeds_commands(commands, _Parser)
    return parser


def _territory(value: str) -> str:
    try:
        return territory_code(value)
    except TerritoryError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone (e.g. Z or +00:00): {value!r}")
    return instant


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "audit":
            return run_audit(args)
        if args.command == "review":
            return run_review(args)
        if args.command == "replay":
            return run_replay(args)
        if args.command == "queue":
            return run_queue(args)
        if args.command == "feeds":
            return run_feeds(args)
        return _lint(args.files)
    except UsageError as error:
        print(f"clearance: {error}", file=sys.stderr)
        return 2
    except QueryError as error:
        print(f"clearance: --{error.parameter}: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"clearance: AWS: {error}", file=sys.stderr)
        return 2


def _lint(files: list[Path]) -> int:
    paths = files or [p for found in policy_files(default_policy_dir()).values() for p in found]
    failed = 0
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such policy file: {path}")
        problems = lint_policy_file(path)
        failed += bool(problems)
        for problem in problems:
            print(f"{path}: {problem}")
    print(f"{len(paths) - failed} of {len(paths)} policies clean")
    return 1 if failed else 0


def _check(args: argparse.Namespace) -> int:
    if args.policies is not None and not args.policies.is_dir():
        raise UsageError(f"no such policy directory: {args.policies}")
    if args.only_policies and args.policies is None:
        raise UsageError("--only-policies needs --policies DIR")
    missing = [str(path) for path in args.paths if not path.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    if args.policies is None:
        policies = PolicySet.load()
    elif args.only_policies:
        policies = PolicySet.load(args.policies)
    else:
        policies = PolicySet.load(default_policy_dir(), args.policies)
    now = args.now or datetime.now(UTC)
    licensee = Licensee(args.territory, args.use, args.channel)
    all_cleared = True
    for path in args.paths:
        decisions = clear_each(
            path.read_bytes(),
            policies=policies,
            now=now,
            licensee=licensee,
            provider=args.provider,
            media_type=media.of_extension(path.suffix),
        )
        for decision in decisions:
            written = write_copies(decision, args.out) if args.out else []
            all_cleared &= decision.outcome is Outcome.CLEARED
            print(_report(path, decision, written, as_json=args.json))
    return 0 if all_cleared else 1


def write_copies(decision: Decision, out: Path) -> list[Path]:
    """Cleared renditions under `<out>/<provider>/<article>/<version>.<ext>`."""
    if decision.article is None or not decision.renditions or decision.provider is None:
        return []
    folder = out / decision.provider / article_id(decision.provider, decision.article["uri"])
    folder.mkdir(parents=True, exist_ok=True)
    version = version_segment(decision.article["version"])
    paths = []
    for rendition in decision.renditions:
        path = folder / f"{version}.{rendition.extension}"
        path.write_bytes(rendition.data)
        paths.append(path)
    return paths


def _report(path: Path, decision: Decision, written: list[Path], *, as_json: bool) -> str:
    if as_json:
        record = {"source": str(path), **decision.to_dict(), "written": [str(p) for p in written]}
        return json.dumps(record, ensure_ascii=False)
    main_finding = decision.main_finding
    reason = f": {main_finding.rule_id}: {main_finding.message}" if main_finding else ""
    provider = decision.provider or "?"
    where = f"{path}#{decision.item}" if decision.item is not None else f"{path}"
    lines = [f"{where}: {decision.outcome.value} ({provider}){reason}"]
    lines += [f"  wrote {p}" for p in written]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

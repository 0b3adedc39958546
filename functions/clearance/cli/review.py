"""`clearance review list|approve|reject`: the reviewers' API, from the command line.

The same code as `GET /v1/review` and `POST /v1/review/articles/{id}`; the reviewer is the
caller's AWS identity (STS), never a name typed on the command line. Runs against the local
stack or a real account: AWS_ENDPOINT_URL and the usual AWS variables; the table and buckets
come from the environment the functions have, or the local stack's names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from typing import Any, TextIO

from clearance.aws import clients
from clearance.lifecycle.state import Status
from clearance.local.resources import Names
from clearance.services import wiring
from clearance.services.config import ReviewConfig
from clearance.services.review import Reviews


def add_review_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    review = commands.add_parser("review", help="versions held for a person, and verdicts")
    actions = review.add_subparsers(dest="review_command", required=True, parser_class=parser_class)
    listing = actions.add_parser("list", help="held versions, oldest first")
    listing.add_argument("--limit", default="50")
    listing.add_argument("--next", dest="next_token")
    listing.add_argument("--json", action="store_true", help="one held version per line, as JSON")
    for name, text in (("approve", "publish a held version"), ("reject", "keep it down")):
        action = actions.add_parser(name, help=text)
        action.add_argument("article_id", metavar="ARTICLE")
        action.add_argument("--version", help="the held version (default: the one held)")
        action.add_argument("--reason", required=True, help="why, for the record")


def run_review(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit 0, or 1 when a verdict is refused (the reason is printed)."""
    out = out or sys.stdout
    reviews = open_reviews()
    if args.review_command == "list":
        params = {"limit": args.limit, **({"next": args.next_token} if args.next_token else {})}
        answer = reviews.held(params)
        if answer.status != 200:
            out.write(f"clearance review: {answer.body['error']['message']}\n")
            return 2
        for item in answer.body["held"]:
            out.write((json.dumps(item, ensure_ascii=False) if args.json else _line(item)) + "\n")
        if answer.body["next"]:
            out.write(f"more: --next {answer.body['next']}\n")
        return 0
    version = args.version or _only_held_version(reviews, args.article_id)
    if version is None:
        out.write(
            f"clearance review: {args.article_id} has no single held version; give --version\n"
        )
        return 1
    body = {"version": version, "verdict": args.review_command, "reason": args.reason}
    reviewer = clients.sts().get_caller_identity()["Arn"]
    request_id = f"cli-{uuid.uuid4()}"
    answer = reviews.verdict(args.article_id, body, reviewer, request_id)
    if answer.status != 200:
        error = answer.body["error"]
        out.write(f"clearance review: refused ({error['code']}): {error['message']}\n")
        return 1
    out.write(
        f"{args.article_id} v{version}: {_PAST[args.review_command]} by {reviewer};"
        f" now {answer.body['status']}\n"
    )
    return 0


_PAST = {"approve": "approved", "reject": "rejected"}


def open_reviews() -> Reviews:
    environment = {**Names().environment(), **os.environ}
    return wiring.build_reviews(ReviewConfig.from_env(environment))


def _only_held_version(reviews: Reviews, article_id: str) -> str | None:
    state = reviews.lifecycle.articles.states.get(article_id)
    held = [v.version for v in state.versions if v.status is Status.HELD] if state else []
    return held[0] if len(held) == 1 else None


def _line(item: dict[str, Any]) -> str:
    main = next((f["rule_id"] for f in item["findings"] if f["severity"] == "major"), "")
    return (
        f"{item['held_since']}  {item['provider']:<16} {item['article']}  v{item['version']}"
        f"  {main}  {item['headline'] or ''}"
    )

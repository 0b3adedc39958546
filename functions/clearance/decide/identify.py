"""A delivery read into its items, and each item's provider and terms found, or the rejection
that ends it here (fail closed: unknown, ambiguous or mismatched providers are never cleared)."""

from __future__ import annotations

import hashlib
from typing import Any

from clearance.contracts.pointers import brief
from clearance.contracts.vocabulary import Rule
from clearance.decide.decision import Decision, Identified
from clearance.decide.findings import Finding, Outcome, Severity, schema_findings
from clearance.ingest.article import Article, ArticleError, InvalidArticleError
from clearance.ingest.parse import Item, read_delivery
from clearance.terms.policy import PolicySet

MAX_INPUT_BYTES = 2 * 1024 * 1024


def read(
    data: bytes,
    *,
    policies: PolicySet,
    media_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> tuple[Item, ...] | Decision:
    """The items a delivery holds, or the rejection of the delivery as a whole."""
    if len(data) > max_bytes:
        return _refused(
            hashlib.sha256(data).hexdigest(),
            Rule.TOO_LARGE,
            f"the delivery is {len(data)} bytes; the limit is {max_bytes}",
        )
    try:
        return read_delivery(data, media_type, policies.disclaimer_headings)
    except ArticleError as error:
        return _refused(
            hashlib.sha256(data).hexdigest(), f"input.{error.reason}", str(error), error.pointer
        )


def identify_item(
    item: Item, *, policies: PolicySet, provider: str | None = None
) -> Identified | Decision:
    """Find whose terms govern one item, or the rejection that ends it here.

    `provider` is the sender's word for who sent it, when it has one.
    """
    digest = item.sha256
    if isinstance(item.error, InvalidArticleError):
        invalid = schema_findings(
            item.error.errors, "article.schema", Severity.CRITICAL, "not a valid article"
        )
        return Decision(
            Outcome.REJECTED, digest, tuple(invalid), article=item.error.article, item=item.index
        )
    if item.article is None:
        error = item.error or ArticleError("no-items", "the item holds no article")
        return _refused(digest, f"input.{error.reason}", str(error), error.pointer, item=item.index)
    article = item.article
    chosen, recognition = _choose_provider(article, policies, provider)
    if chosen is None:
        # A known sender is named on the record of what it was refused (another's namespace).
        sender = provider if provider in policies.providers else None
        return Decision(
            Outcome.REJECTED,
            digest,
            tuple(recognition),
            provider=sender,
            article=article,
            item=item.index,
        )
    article["provider"] = chosen
    if chosen in policies.broken:
        return _refused(
            digest,
            "policy.invalid",
            f"the policy for '{chosen}' is invalid, so nothing from it can be cleared: "
            + "; ".join(policies.broken[chosen]),
            provider=chosen,
            article=article,
            item=item.index,
        )
    return Identified(
        digest, article, chosen, policies.histories[chosen], tuple(recognition), item.index
    )


def identify(
    data: bytes,
    *,
    policies: PolicySet,
    provider: str | None = None,
    media_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    item: int | None = None,
) -> Identified | Decision:
    """Read a delivery and find whose terms govern its one item (or the item at `item`, in a
    delivery of several), or the rejection that ends it here."""
    items = read(data, policies=policies, media_type=media_type, max_bytes=max_bytes)
    if isinstance(items, Decision):
        return items
    chosen = [each for each in items if each.index == item]
    if len(chosen) != 1:
        where = f"no item {item}" if item is not None else f"{len(items)} items"
        return _refused(
            hashlib.sha256(data).hexdigest(),
            "input.several-items" if item is None else "input.item",
            f"the delivery holds {where}; each item of a delivery is decided on its own",
        )
    return identify_item(chosen[0], policies=policies, provider=provider)


def _refused(
    digest: str, rule_id: str, message: str, pointer: str = "", **context: Any
) -> Decision:
    finding = Finding(rule_id, pointer, Severity.CRITICAL, message)
    return Decision(Outcome.REJECTED, digest, (finding,), **context)


def _choose_provider(
    article: Article, policies: PolicySet, claimed: str | None
) -> tuple[str | None, list[Finding]]:
    """The provider whose terms apply, or why none can be chosen (fail closed)."""
    known = set(policies.policies) | set(policies.broken)
    candidates = policies.recognise(article)
    owners = policies.namespace_of(article["uri"])
    if claimed is not None and owners and claimed not in owners:
        owner, prefix = sorted(owners.items())[0]
        return None, [
            Finding(
                "tenancy.namespace",
                "/uri",
                Severity.CRITICAL,
                f"the uri {brief(article['uri'])} is in {owner}'s namespace ({prefix}): "
                f"{claimed} cannot deliver, correct or cancel {owner}'s articles",
            )
        ]
    if claimed is not None:
        if claimed not in known:
            return None, [
                Finding(
                    "provider.unknown", "", Severity.CRITICAL, f"no policy for provider '{claimed}'"
                )
            ]
        others = [pid for pid, _ in candidates if pid != claimed]
        if others and claimed not in dict(candidates):
            return claimed, [
                Finding(
                    "provider.mismatch",
                    "",
                    Severity.MAJOR,
                    f"delivered as '{claimed}' but the article carries the marks of '{others[0]}'",
                )
            ]
        return claimed, []
    if not candidates:
        return None, [
            Finding(
                "provider.unknown",
                "",
                Severity.CRITICAL,
                "no provider policy recognises this article; its terms are unknown",
            )
        ]
    best = [pid for pid, score in candidates if score == candidates[0][1]]
    if len(best) > 1:
        return None, [
            Finding(
                "provider.ambiguous",
                "",
                Severity.CRITICAL,
                f"the article matches several providers equally ({', '.join(best)})",
            )
        ]
    return best[0], []

"""Article states in DynamoDB: one item per article, written only over the revision read.

The key is the article id, which derives from the article's uri and is unique across providers
(the audit log's per-article pointers rely on the same); the provider is an attribute.

Two sparse indexes answer the questions a sweep and a reviewer ask without a scan: `due`
(articles with a timer, by the earliest due time, in a few shards so no partition runs hot)
and `held` (articles with a version held for review, oldest first).

The state is JSON in `state`; an outbox not yet finished is kept apart, zlib-compressed, in
`outbox`. DynamoDB bills a write by the larger of the old and the new item, so the outbox (the
records and events a change still owes, most of the item) is paid for twice, by the commit and
by the write that clears it: compressed, a MENAFN delivery's two writes fall from 12 write
units to 8 (bench/cost.py). A state written with its outbox inside the JSON still reads.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from clearance.aws.revisions import put_over_revision
from clearance.lifecycle.state import ArticleState, Hold, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DUE_INDEX = "due"
HELD_INDEX = "held"
DUE_SHARDS = 4
HELD_PARTITION = "held"
OWED = "0000"
"""The due time of an article whose outbox is not finished: before any timer."""
OUTBOX = "outbox"


class StateStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, article_id: str) -> ArticleState | None:
        response = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": article_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else state_of(item)

    def put(self, state: ArticleState, expected_revision: int) -> bool:
        """Write `state` if the stored revision is still `expected_revision` (0: no item yet)."""
        document = state.to_dict()
        outbox = document.pop("outbox")
        item: dict[str, Any] = {
            "pk": {"S": state.article_id},
            "revision": {"N": str(state.revision)},
            "state": {"S": _json(document)},
            "provider": {"S": state.provider},
        }
        if outbox:
            item[OUTBOX] = {"B": zlib.compress(_json(outbox).encode())}
        # An outbox not yet finished is due at once: the next sweep finishes it.
        next_due = OWED if state.outbox else state.next_due
        if next_due:
            item["due_shard"] = {"S": due_shard(state.article_id)}
            item["next_due"] = {"S": next_due}
        held = [
            v.decided_at
            for v in state.versions
            if v.status is Status.HELD and v.hold is Hold.REVIEW
        ]
        if held:
            item["held_partition"] = {"S": HELD_PARTITION}
            item["held_since"] = {"S": min(held)}
        return put_over_revision(self.client, self.table, item, expected_revision)

    def due(self, now: str) -> Iterator[str]:
        """The id of every article with a timer due at or before `now`."""
        for shard in range(DUE_SHARDS):
            paginator = self.client.get_paginator("query")
            pages = paginator.paginate(
                TableName=self.table,
                IndexName=DUE_INDEX,
                KeyConditionExpression="due_shard = :shard AND next_due <= :now",
                ExpressionAttributeValues={":shard": {"S": f"due#{shard}"}, ":now": {"S": now}},
                ProjectionExpression="pk",
            )
            for page in pages:
                for item in page.get("Items", []):
                    yield item["pk"]["S"]

    def held(self, limit: int, after: str | None = None) -> tuple[list[ArticleState], str | None]:
        """Articles with a version held for review, oldest hold first; a token for the rest."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": HELD_INDEX,
            "KeyConditionExpression": "held_partition = :held",
            "ExpressionAttributeValues": {":held": {"S": HELD_PARTITION}},
            "Limit": limit,
        }
        if after:
            start = json.loads(after)
            if not isinstance(start, dict) or set(start) != {"pk", "held_partition", "held_since"}:
                raise ValueError("not a continuation token of this table")
            args["ExclusiveStartKey"] = start
        response = self.client.query(**args)
        states = [state_of(item) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return states, json.dumps(last, sort_keys=True) if last else None


def state_of(item: dict[str, Any]) -> ArticleState:
    """The article state an item holds, its outbox put back."""
    document = json.loads(item["state"]["S"])
    if OUTBOX in item:
        document["outbox"] = json.loads(zlib.decompress(item[OUTBOX]["B"]))
    return ArticleState.from_dict(document)


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def due_shard(article_id: str) -> str:
    digest = hashlib.sha256(article_id.encode()).digest()
    return f"due#{digest[0] % DUE_SHARDS}"

"""Feed subscriptions in DynamoDB: a table of their own (only the poller and the operator's
`clearance feeds` touch it), one item per subscription, written only over the revision read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from clearance.aws.revisions import lost, put_over_revision
from clearance.feeds.subscription import Subscription

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class SubscriptionStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    def all(self) -> Iterator[Subscription]:
        """Every subscription, read consistently: a licensee keeps tens, not millions."""
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table, ConsistentRead=True):
            for item in page.get("Items", []):
                yield _subscription(item)

    def get(self, subscription_id: str) -> Subscription | None:
        response = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": subscription_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else _subscription(item)

    def save(self, subscription: Subscription, expected_revision: int) -> bool:
        """Write if the stored revision is still `expected_revision` (0: none stored)."""
        body = subscription.to_dict()
        item: dict[str, Any] = {
            "pk": {"S": subscription.id},
            "revision": {"N": str(subscription.revision)},
            "subscription": {"S": json.dumps(body, ensure_ascii=False, sort_keys=True)},
        }
        return put_over_revision(self.client, self.table, item, expected_revision)

    def remove(self, subscription_id: str) -> bool:
        """Delete it; False when there was none."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": subscription_id}},
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if lost(error):
                return False
            raise
        return True


def _subscription(item: dict[str, Any]) -> Subscription:
    data = json.loads(item["subscription"]["S"])
    return Subscription.from_dict({**data, "revision": int(item["revision"]["N"])})

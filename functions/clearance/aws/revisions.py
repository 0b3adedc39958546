"""Optimistic concurrency on DynamoDB: an item written only over the revision its writer read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def put_over_revision(
    client: DynamoDBClient, table: str, item: dict[str, Any], expected_revision: int
) -> bool:
    """Put `item` if the stored `revision` is still `expected_revision` (0: no item yet); False,
    writing nothing, when another writer got there first."""
    if expected_revision == 0:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
    else:
        condition = {
            "ConditionExpression": "revision = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(expected_revision)}},
        }
    try:
        client.put_item(TableName=table, Item=item, **condition)
    except ClientError as error:
        if lost(error):
            return False
        raise
    return True


def lost(error: ClientError) -> bool:
    """Whether a write failed only because its condition did not hold."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"

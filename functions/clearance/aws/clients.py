"""boto3 clients, created once per container; the endpoint comes from AWS_ENDPOINT_URL."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient


@cache
def s3() -> S3Client:
    return boto3.client("s3")


@cache
def secretsmanager() -> SecretsManagerClient:
    return boto3.client("secretsmanager")


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs")


@cache
def kms() -> KMSClient:
    return boto3.client("kms")


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb")


@cache
def events() -> EventBridgeClient:
    return boto3.client("events")


@cache
def sts() -> STSClient:
    return boto3.client("sts")

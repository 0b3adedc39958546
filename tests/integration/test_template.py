"""Offline checks of template.yaml: cfn-lint, SAM translation, what the stack allows (its S3
prefixes derived from contracts/keys.py), and the local stack held to the same routes and limits."""

from __future__ import annotations

import contextlib
import copy
import graphlib
import http.client
import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from clearance.contracts import keys
from clearance.feeds.outbound import Limits
from clearance.feeds.subscription import ALARM_AFTER_FAILURES
from clearance.handlers import feed_poller
from clearance.handlers.callers import DESK, Group
from clearance.local.cognito import UNAUTHORIZED, TokenCheck, create_desk
from clearance.local.connections import REQUEST_SECONDS
from clearance.local.console import content_security_policy, security_headers
from clearance.local.dispatcher import BATCH_SIZE
from clearance.local.gateway import ROUTES, Gateway, Throttle
from clearance.local.limits import LIMITS
from clearance.local.limits import context as local_context
from clearance.local.resources import (
    MAX_RECEIVE_COUNT,
    VISIBILITY_TIMEOUT,
    Names,
    create_state_table,
    create_subscriptions_table,
)
from clearance.local.schedules import (
    FEEDS_EVERY_SECONDS,
    LIFECYCLE_EVERY_SECONDS,
    PROCESSOR,
    Schedules,
)
from clearance.local.usage import (
    API_KEY_HEADER,
    INVALID_API_KEY,
    RETRY_AFTER_SECONDS,
    THROTTLED,
    development_api_key,
)
from clearance.services import wiring
from clearance.services.poller import MAX_PAGES, Run
from clearance.terms.policy import PolicySet
from tests.conftest import lambda_context

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
BUILD_MK = ROOT / "build.mk"
REGION = "eu-west-2"

Template = dict[str, Any]
Statement = dict[str, Any]

MANAGED_POLICY = "arn:aws:iam::aws:policy/"
BASIC_EXECUTION = MANAGED_POLICY + "service-role/AWSLambdaBasicExecutionRole"
XRAY_WRITE_ONLY = MANAGED_POLICY + "AWSXrayWriteOnlyAccess"
SQS_QUEUE_EXECUTION = MANAGED_POLICY + "service-role/AWSLambdaSQSQueueExecutionRole"

BUCKETS = (
    "InboundBucket",
    "ClearedBucket",
    "QuarantineBucket",
    "AuditBucket",
    "AuditAccessLogBucket",
    "AccessLogBucket",
    "ConsoleBucket",
)
LOG_BUCKETS = ("AuditAccessLogBucket", "AccessLogBucket")
"""Buckets that receive S3 server access logs; every other bucket logs to one of them."""
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv" / "checkov" / "bin" / "checkov"))
CHECKOV_CONFIG = ROOT / ".checkov.yaml"
FUNCTIONS = (
    "WebhookFunction",
    "ProcessorFunction",
    "AuditReviewFunction",
    "AuditDigestFunction",
    "LifecycleFunction",
    "KillFunction",
    "ReviewFunction",
    "FeedPollerFunction",
)
NEW_STATE_FUNCTIONS = ("LifecycleFunction", "KillFunction", "ReviewFunction")
STATE_FUNCTIONS = ("ProcessorFunction", *NEW_STATE_FUNCTIONS)
"""The functions that carry events through an article's state, and may finish its outbox."""
AUDIT_RECORD_SCHEMA = ROOT / "schemas" / "audit-record.schema.json"
WEBHOOK_PATH = "/v1/providers/{provider}/articles"
KILL_PATH = "/v1/providers/{provider}/articles/{id}/kill"
REVIEW_PATHS = (
    "/v1/audit",
    "/v1/audit/articles/{id}",
    "/v1/audit/kills",
    "/v1/audit/verification",
)
"""The audit routes of AuditReviewFunction, each a GET signed with IAM; each has a twin under
DESK for people signed in to the console."""
HELD_REVIEW_ROUTES = (
    ("/v1/review", "get"),
    ("/v1/review/articles/{id}", "get"),
    ("/v1/review/articles/{id}", "post"),
)
"""The routes of ReviewFunction, (path, method), signed with IAM; each has a twin under DESK."""
DESK_AUTHORIZER = "DeskPeople"
"""The API's Cognito authorizer, over the desk's user pool, on every route under DESK."""
STATE_BUCKETS = {
    "INBOUND_BUCKET": "InboundBucket",
    "CLEARED_BUCKET": "ClearedBucket",
    "QUARANTINE_BUCKET": "QuarantineBucket",
    "AUDIT_BUCKET": "AuditBucket",
}
BUCKET_VARIABLES = {
    "WebhookFunction": {"INBOUND_BUCKET": "InboundBucket"},
    **{function: STATE_BUCKETS for function in STATE_FUNCTIONS},
    "KillFunction": {k: v for k, v in STATE_BUCKETS.items() if k != "INBOUND_BUCKET"},
    "AuditReviewFunction": {"AUDIT_BUCKET": "AuditBucket", "CLEARED_BUCKET": "ClearedBucket"},
    "AuditDigestFunction": {"AUDIT_BUCKET": "AuditBucket"},
    "FeedPollerFunction": {"INBOUND_BUCKET": "InboundBucket"},
}
TABLES = ("ArticleStateTable", "SubscriptionsTable")
SCHEDULED = {
    "LifecycleFunction": "rate(1 minute)",
    "FeedPollerFunction": "rate(1 minute)",
    "AuditDigestFunction": "cron(45 * * * ? *)",
}
"""The functions EventBridge schedules invoke, and their schedules."""
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
"""A secret's ARN up to its name (Secrets Manager adds a random suffix after the name)."""
FORBIDDEN_ON_AUDIT = re.compile(
    r"^s3:(Delete\w*|\w*Acl\w*|\w*Lifecycle\w*|\w*Retention\w*|\w*LegalHold\w*|Bypass\w*"
    r"|\w*ObjectLock\w*|\w*Policy\w*|\w*Versioning\w*)$"
)


class _NoManagedPolicies:
    """Stands in for ManagedPolicyLoader, which would ask IAM; the template names no policies."""

    def load(self) -> dict[str, str]:
        return {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _load_sam_template() -> Template:
    template: Template = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    return template


def _translate(sam_template: Template) -> Template:
    template = copy.deepcopy(sam_template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://clearance-artifacts/code.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setattr(ArnGenerator, "BOTO_SESSION_REGION_NAME", REGION)
        translated: Template = transform(template, {}, _NoManagedPolicies())
    return translated


def _lint_problems(text: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        matches = lint(text, config=ManualArgs(regions=[REGION]))
    return [
        f"{match.rule.id} line {match.linenumber}: {match.message}"
        for match in matches
        if match.rule.id[0] in "EW"
    ]


@pytest.fixture(scope="module")
def sam_template() -> Template:
    return _load_sam_template()


@pytest.fixture(scope="module")
def translated(sam_template: Template) -> Template:
    return _translate(sam_template)


@pytest.fixture(scope="module")
def resources(translated: Template) -> dict[str, Any]:
    found: dict[str, Any] = translated["Resources"]
    return found


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


def _text(value: Any) -> str:
    """A template value as text: a string, or an Fn::Sub pattern with its variables filled in."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        if isinstance(sub, str):
            return sub
        pattern, variables = str(sub[0]), sub[1]
        for name, replacement in variables.items():
            pattern = pattern.replace("${" + name + "}", _text(replacement))
        return pattern
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        return "${" + (".".join(target) if isinstance(target, list) else str(target)) + "}"
    return json.dumps(value, sort_keys=True)


def _policy_statements(body: dict[str, Any]) -> Iterator[Statement]:
    properties = body.get("Properties", {})
    # A Cognito user pool's Policies is its password policy, a mapping, not IAM policies.
    policies = properties.get("Policies", [])
    documents = (
        [policy["PolicyDocument"] for policy in policies] if isinstance(policies, list) else []
    )
    if "PolicyDocument" in properties:
        documents.append(properties["PolicyDocument"])
    for document in documents:
        yield from _as_list(document["Statement"])


def _identity_statements(resources: dict[str, Any]) -> Iterator[tuple[str, Statement]]:
    for name, body in resources.items():
        if body["Type"] in {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            for statement in _policy_statements(body):
                yield name, statement


def _role_of(resources: dict[str, Any], function: str) -> str:
    role = resources[function]["Properties"]["Role"]
    name: str = role["Fn::GetAtt"][0]
    return name


def _allowed(resources: dict[str, Any], role: str) -> list[tuple[set[str], list[str]]]:
    """(actions, resources as text) of every Allow statement of one role."""
    return [
        (set(_as_list(statement["Action"])), [_text(r) for r in _as_list(statement["Resource"])])
        for statement in _policy_statements(resources[role])
        if statement["Effect"] == "Allow"
    ]


def _bucket_name(resources: dict[str, Any], bucket: str) -> str:
    name = resources[bucket]["Properties"]["BucketName"]
    assert isinstance(name, dict), f"{bucket} must have a fixed name built with Fn::Sub"
    return _text(name)


def _bucket_arn(resources: dict[str, Any], bucket: str) -> str:
    return "arn:${AWS::Partition}:s3:::" + _bucket_name(resources, bucket)


def _objects(resources: dict[str, Any], bucket: str, prefix: str) -> str:
    """The ARN of every object under one prefix of a bucket, as a policy grants it."""
    return f"{_bucket_arn(resources, bucket)}/{prefix}*"


def _state_table_arn(resources: dict[str, Any]) -> str:
    name = resources["ArticleStateTable"]["Properties"]["TableName"]
    assert isinstance(name, dict), "the state table must have a fixed name built with Fn::Sub"
    return "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + _text(name)


def _bus_arn(resources: dict[str, Any]) -> str:
    name = _text(resources["PublishedEventBus"]["Properties"]["Name"])
    return "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/" + name


def _granting(
    resources: dict[str, Any], prefix: str
) -> dict[str, list[tuple[set[str], list[str]]]]:
    """Per role: (actions, resources as text) of every Allow statement with an action in prefix."""
    found: dict[str, list[tuple[set[str], list[str]]]] = {}
    for function in _of_type(resources, "AWS::Lambda::Function"):
        role = _role_of(resources, function)
        for actions, targets in _allowed(resources, role):
            if any(action.startswith(prefix) for action in actions):
                found.setdefault(function, []).append((actions, targets))
    return found


def _touches_bucket(resource_text: str, resources: dict[str, Any], bucket: str) -> bool:
    arn = _bucket_arn(resources, bucket)
    return (
        resource_text == arn
        or resource_text.startswith(arn + "/")
        or resource_text.startswith("${" + bucket + ".Arn}")
        or resource_text.startswith("${" + bucket + "}")
    )


def _references(node: Any) -> Iterator[str]:
    """Logical names that a piece of template names through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref" and isinstance(value, str):
            yield value
            return
        if key == "Fn::GetAtt":
            yield value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
            return
        if key == "Fn::Sub":
            pattern, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
            for name in re.findall(r"\$\{([^!}][^}]*)\}", pattern):
                base = name.split(".", 1)[0]
                if base not in variables:
                    yield base
            yield from _references(variables)
            return
    for item in node.values():
        yield from _references(item)


def _dependency_graph(resources: dict[str, Any]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, body in resources.items():
        named = set(_references({k: v for k, v in body.items() if k != "DependsOn"}))
        named.update(_as_list(body.get("DependsOn", [])))
        graph[name] = named & resources.keys()
    return graph


def _integration_uri(operation: dict[str, Any]) -> str:
    return _text(operation["x-amazon-apigateway-integration"]["uri"])


def _find_cycle(resources: dict[str, Any]) -> list[str] | None:
    try:
        tuple(graphlib.TopologicalSorter(_dependency_graph(resources)).static_order())
    except graphlib.CycleError as error:
        cycle: list[str] = error.args[1]
        return cycle
    return None


# ------------------------------------------------------------------ linting


@pytest.mark.reliability
def test_template_passes_cfn_lint(sam_template: Template, figure: Callable[[str], None]) -> None:
    # Given the SAM template as written
    text = TEMPLATE.read_text(encoding="utf-8")

    # When cfn-lint checks it (which also lints its SAM translation)
    problems = _lint_problems(text)

    # Then it reports no error and no warning
    assert problems == [], "\n".join(problems)
    figure(
        f"cfn-lint {version('cfn-lint')}: 0 errors, 0 warnings on the template"
        f" ({len(sam_template['Resources'])} resources)"
    )


@pytest.mark.reliability
def test_translated_template_passes_cfn_lint(
    translated: Template, figure: Callable[[str], None]
) -> None:
    # Given the template as the SAM translator expands it, offline
    text = json.dumps(translated)

    # When cfn-lint checks the plain CloudFormation
    problems = _lint_problems(text)

    # Then it reports no error and no warning
    assert problems == [], "\n".join(problems)
    figure(
        f"cfn-lint {version('cfn-lint')}: 0 errors, 0 warnings on the SAM translation"
        f" ({len(translated['Resources'])} resources)"
    )


def test_translation_produces_every_function_and_its_role(resources: dict[str, Any]) -> None:
    functions = _of_type(resources, "AWS::Lambda::Function")

    assert set(functions) == set(FUNCTIONS)
    for function in functions:
        assert resources[_role_of(resources, function)]["Type"] == "AWS::IAM::Role"


# ---------------------------------------------------------- least privilege


def test_no_identity_policy_allows_a_wildcard_action_or_every_resource(
    resources: dict[str, Any],
) -> None:
    # Given every statement of every role and identity policy (IAM only: a KMS key policy's
    # Resource "*" means "this key", and is checked on its own below)
    offending = []
    for name, statement in _identity_statements(resources):
        if statement["Effect"] != "Allow":
            continue
        # Then none uses NotAction/NotResource, a wildcard action, or the bare * resource
        if "NotAction" in statement or "NotResource" in statement:
            offending.append((name, statement))
        actions = _as_list(statement.get("Action", []))
        targets = [_text(r) for r in _as_list(statement.get("Resource", []))]
        if any("*" in action for action in actions) or "*" in targets:
            offending.append((name, statement))

    assert offending == []


def test_roles_attach_only_the_managed_policies_sam_adds_for_logs_tracing_and_sqs(
    resources: dict[str, Any],
) -> None:
    # Given what SAM attaches: basic execution (logs), X-Ray for Tracing: Active, and the SQS
    # poller policy for the SQS event; nothing else may come in as a managed policy
    expected = {
        "WebhookFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "ProcessorFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY, SQS_QUEUE_EXECUTION],
        "AuditReviewFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "AuditDigestFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "LifecycleFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "KillFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "ReviewFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
        "FeedPollerFunction": [BASIC_EXECUTION, XRAY_WRITE_ONLY],
    }

    assert set(expected) == set(FUNCTIONS)
    for function, arns in expected.items():
        role = resources[_role_of(resources, function)]["Properties"]
        assert sorted(role.get("ManagedPolicyArns", [])) == sorted(arns), function


def test_processor_cannot_delete_or_rewrite_audit_records(resources: dict[str, Any]) -> None:
    # Given the processor's permissions that touch the audit bucket
    role = _role_of(resources, "ProcessorFunction")
    on_audit = [
        actions
        for actions, targets in _allowed(resources, role)
        if any(_touches_bucket(t, resources, "AuditBucket") for t in targets)
    ]

    # Then they are exactly read and write-once: no delete, ACL, lifecycle, retention or bypass
    granted = set().union(*on_audit)
    assert granted == {"s3:GetObject", "s3:PutObject"}
    assert not {action for action in granted if FORBIDDEN_ON_AUDIT.match(action)}


def test_processor_writes_decisions_and_pointers_but_never_digests(
    resources: dict[str, Any],
) -> None:
    role = _role_of(resources, "ProcessorFunction")
    audit = _bucket_arn(resources, "AuditBucket")
    targets = {
        target
        for _, found in _allowed(resources, role)
        for target in found
        if _touches_bucket(target, resources, "AuditBucket")
    }
    assert targets == {
        f"{audit}/{keys.DECISIONS}*",
        f"{audit}/{keys.ARTICLE_POINTERS}*",
        f"{audit}/{keys.POLICIES}*",
    }


def test_processor_only_reads_inbound_objects(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "ProcessorFunction")
    inbound_objects = _objects(resources, "InboundBucket", keys.INBOUND)

    for actions, targets in _allowed(resources, role):
        if any(_touches_bucket(t, resources, "InboundBucket") for t in targets):
            assert targets == [inbound_objects]
            assert actions <= {"s3:GetObject", "s3:GetObjectVersion"}


def test_processor_may_delete_only_cleared_copies(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "ProcessorFunction")
    cleared_objects = _objects(resources, "ClearedBucket", keys.CLEARED)

    for actions, targets in _allowed(resources, role):
        deletes = {action for action in actions if action.startswith("s3:Delete")}
        if deletes:
            assert deletes == {"s3:DeleteObject"}
            assert targets == [cleared_objects]


def test_webhook_only_puts_objects_under_inbound_and_receipts(resources: dict[str, Any]) -> None:
    # Given the webhook's S3 permissions
    role = _role_of(resources, "WebhookFunction")
    inbound_objects = _objects(resources, "InboundBucket", keys.INBOUND)
    receipts = _objects(resources, "InboundBucket", keys.RECEIPTS)
    s3 = [
        (actions, targets)
        for actions, targets in _allowed(resources, role)
        if any(action.startswith("s3:") for action in actions)
    ]

    # Then it may put and read back objects under inbound/ and its delivery receipts, nothing else
    assert s3
    for actions, targets in s3:
        assert targets in ([inbound_objects], [receipts])
        assert actions <= {"s3:PutObject", "s3:GetObject"}
    puts = {target for actions, targets in s3 if "s3:PutObject" in actions for target in targets}
    assert puts == {inbound_objects, receipts}


def test_webhook_reads_only_this_stages_webhook_secrets(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "WebhookFunction")
    secrets = [
        (actions, targets)
        for actions, targets in _allowed(resources, role)
        if any(action.startswith("secretsmanager:") for action in actions)
    ]

    assert secrets == [
        (
            {"secretsmanager:GetSecretValue"},
            [
                "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
                ":secret:clearance/${Stage}/webhook/*"
            ],
        )
    ]


def test_webhook_secret_prefix_matches_the_example_secret(resources: dict[str, Any]) -> None:
    variables = resources["WebhookFunction"]["Properties"]["Environment"]["Variables"]
    secret = resources["MenafnWebhookSecret"]["Properties"]

    prefix = _text(variables["WEBHOOK_SECRET_PREFIX"])
    assert prefix == "clearance/${Stage}/webhook/"
    assert _text(secret["Name"]) == prefix + "menafn"


# ------------------------------------------------------------------ buckets


@pytest.mark.parametrize("bucket", BUCKETS)
def test_bucket_is_private_encrypted_and_versioned(resources: dict[str, Any], bucket: str) -> None:
    properties = resources[bucket]["Properties"]

    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules
    for rule in rules:
        algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        assert algorithm in {"AES256", "aws:kms", "aws:kms:dsse"}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }


def test_every_bucket_in_the_stack_is_one_of_the_checked_buckets(
    resources: dict[str, Any],
) -> None:
    assert set(_of_type(resources, "AWS::S3::Bucket")) == set(BUCKETS)


@pytest.mark.parametrize("bucket", BUCKETS)
def test_bucket_policy_denies_requests_without_tls(resources: dict[str, Any], bucket: str) -> None:
    # Given the bucket policies attached to this bucket
    statements = [
        statement
        for body in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if body["Properties"]["Bucket"] == {"Ref": bucket}
        for statement in _policy_statements(body)
    ]

    # Then one denies every S3 action on the bucket and its objects when TLS is not used
    def denies_plain_http(statement: Statement) -> bool:
        condition = statement.get("Condition", {}).get("Bool", {})
        targets = {_text(r) for r in _as_list(statement.get("Resource", []))}
        return (
            statement["Effect"] == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and set(_as_list(statement["Action"])) & {"s3:*", "*"} != set()
            and str(condition.get("aws:SecureTransport")).lower() == "false"
            and {"${" + bucket + ".Arn}", "${" + bucket + ".Arn}/*"} <= targets
        )

    assert any(denies_plain_http(statement) for statement in statements)


def test_audit_bucket_locks_records_in_compliance_mode_for_the_retention_parameter(
    translated: Template, resources: dict[str, Any]
) -> None:
    properties = resources["AuditBucket"]["Properties"]

    assert properties["ObjectLockEnabled"] is True
    lock = properties["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": {"Ref": "AuditRetentionDays"},
    }
    parameter = translated["Parameters"]["AuditRetentionDays"]
    assert parameter["Type"] == "Number"
    assert int(parameter["Default"]) == 2555


def test_audit_bucket_outlives_the_stack(resources: dict[str, Any]) -> None:
    assert resources["AuditBucket"].get("DeletionPolicy") == "Retain"
    assert resources["AuditBucket"].get("UpdateReplacePolicy") == "Retain"


@pytest.mark.parametrize(
    ("function", "variable", "bucket"),
    [
        (function, variable, bucket)
        for function, variables in BUCKET_VARIABLES.items()
        for variable, bucket in variables.items()
    ],
)
def test_function_bucket_variable_names_the_stack_bucket_without_referencing_it(
    resources: dict[str, Any], function: str, variable: str, bucket: str
) -> None:
    value = resources[function]["Properties"]["Environment"]["Variables"][variable]

    assert value == {"Fn::Sub": _bucket_name(resources, bucket)}
    assert bucket not in set(_references(resources[function]))


# ------------------------------------------------------------ inbound flow


def test_inbound_bucket_notifies_the_queue_of_new_objects_under_inbound(
    resources: dict[str, Any],
) -> None:
    # Given the inbound bucket's notifications
    bucket = resources["InboundBucket"]
    queues = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]

    # Then objects created under inbound/ go to the inbound queue
    assert queues == [
        {
            "Event": "s3:ObjectCreated:*",
            "Queue": {"Fn::GetAtt": ["InboundQueue", "Arn"]},
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": keys.INBOUND}]}},
        }
    ]
    # And the bucket is created only once the queue accepts messages from it
    assert "InboundQueuePolicy" in _as_list(bucket.get("DependsOn", []))


def test_inbound_queue_accepts_messages_only_from_the_inbound_bucket(
    resources: dict[str, Any],
) -> None:
    policy = resources["InboundQueuePolicy"]["Properties"]
    allows = [
        s for s in _policy_statements(resources["InboundQueuePolicy"]) if s["Effect"] == "Allow"
    ]

    assert policy["Queues"] == [{"Ref": "InboundQueue"}]
    assert len(allows) == 1
    (statement,) = allows
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert _as_list(statement["Action"]) == ["sqs:SendMessage"]
    condition = statement["Condition"]
    source_arn = {**condition.get("ArnEquals", {}), **condition.get("ArnLike", {})}
    assert source_arn["aws:SourceArn"] == {"Fn::Sub": _bucket_arn(resources, "InboundBucket")}
    assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_inbound_queue_sends_a_message_to_the_dead_letter_queue_after_five_receives(
    resources: dict[str, Any],
) -> None:
    redrive = resources["InboundQueue"]["Properties"]["RedrivePolicy"]
    dead_letters = resources["InboundDeadLetterQueue"]["Properties"]

    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["InboundDeadLetterQueue", "Arn"]}
    assert int(redrive["maxReceiveCount"]) >= 5
    assert int(dead_letters["MessageRetentionPeriod"]) == 14 * 24 * 3600


@pytest.mark.parametrize("queue", ["InboundQueue", "InboundDeadLetterQueue"])
def test_queue_is_encrypted(resources: dict[str, Any], queue: str) -> None:
    properties = resources[queue]["Properties"]

    assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_inbound_queue_hides_a_message_for_six_processor_timeouts(
    resources: dict[str, Any],
) -> None:
    # Given the processor reading the inbound queue
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["InboundQueue", "Arn"]}
    function = mapping["Properties"]["FunctionName"]["Ref"]
    timeout = int(resources[function]["Properties"]["Timeout"])

    # Then a received message stays hidden for at least six of its timeouts
    visibility = int(resources["InboundQueue"]["Properties"]["VisibilityTimeout"])
    assert function == "ProcessorFunction"
    assert visibility >= 6 * timeout


def test_processor_reports_batch_item_failures(resources: dict[str, Any]) -> None:
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()

    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert int(mapping["Properties"]["BatchSize"]) == 10


# ---------------------------------------------------------------- functions


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_runs_python311_on_arm64_with_active_tracing(
    resources: dict[str, Any], function: str
) -> None:
    properties = resources[function]["Properties"]

    assert properties["Runtime"] == "python3.11"
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "clearance"


def test_every_table_in_the_stack_is_one_of_the_checked_tables(resources: dict[str, Any]) -> None:
    assert set(_of_type(resources, "AWS::DynamoDB::Table")) == set(TABLES)


def test_every_lambda_function_is_python311_on_arm64(resources: dict[str, Any]) -> None:
    for properties in (
        body["Properties"] for body in _of_type(resources, "AWS::Lambda::Function").values()
    ):
        assert properties["Runtime"] == "python3.11"
        assert properties["Architectures"] == ["arm64"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_logs_to_a_log_group_with_retention(
    resources: dict[str, Any], function: str
) -> None:
    groups = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Logs::LogGroup").values()
        if body["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${" + function + "}"}
    ]

    assert len(groups) == 1
    assert "RetentionInDays" in groups[0]


def test_webhook_is_the_post_route_for_a_providers_articles(resources: dict[str, Any]) -> None:
    permissions = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == {"Ref": "WebhookFunction"}
    ]
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    webhook_paths = [
        path
        for path, methods in paths.items()
        if any("${WebhookFunction.Arn}" in _integration_uri(op) for op in methods.values())
    ]

    assert webhook_paths == [WEBHOOK_PATH]
    assert set(paths[WEBHOOK_PATH]) == {"post"}
    assert len(permissions) == 1
    assert permissions[0]["Principal"] == "apigateway.amazonaws.com"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("function", FUNCTIONS)
def test_makefile_function_has_a_build_target_for_lambdas_platform(
    sam_template: Template, function: str, tmp_path: Path
) -> None:
    # Given a function that sam build builds with make
    assert sam_template["Resources"][function]["Metadata"] == {"BuildMethod": "makefile"}

    # When make shows what its build target would run
    shown = subprocess.run(
        ["make", "--no-print-directory", "-n", f"build-{function}", f"ARTIFACTS_DIR={tmp_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    # Then it copies the package and the schemas and installs arm64 wheels for Python 3.11
    assert f'"{tmp_path}/clearance"' in shown
    assert f'"{tmp_path}/clearance/schemas"' in shown
    assert "--platform manylinux2014_aarch64" in shown
    assert "--python-version 3.11" in shown
    assert "--only-binary=:all:" in shown
    assert "functions/requirements.txt" in shown


# ------------------------------------------------------------ audit review


def test_review_routes_require_iam_signatures_and_the_webhook_route_does_not(
    sam_template: Template, resources: dict[str, Any]
) -> None:
    # Given the API as SAM renders it
    body = resources["ClearanceApi"]["Properties"]["Body"]
    paths = body["paths"]

    # Then each review route is a GET to the review function that needs a SigV4 (IAM) signature
    for path in REVIEW_PATHS:
        assert set(paths[path]) == {"get"}, path
        operation = paths[path]["get"]
        assert "${AuditReviewFunction.Arn}" in _integration_uri(operation)
        assert operation["security"] == [{"AWS_IAM": []}]
    assert body["components"]["securitySchemes"]["AWS_IAM"]["x-amazon-apigateway-authtype"] == (
        "awsSigv4"
    )
    # And the HMAC-signed webhook stays open at the API: no authoriser, no API-wide default
    assert "security" not in paths[WEBHOOK_PATH]["post"]
    assert "DefaultAuthorizer" not in sam_template["Resources"]["ClearanceApi"]["Properties"].get(
        "Auth", {}
    )


def test_review_routes_invoke_the_function_through_its_resource_policy(
    resources: dict[str, Any],
) -> None:
    # Given the review routes' integrations
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]

    # Then API Gateway does not call Lambda with the caller's credentials (SAM's AWS_IAM default),
    # on the IAM routes or on their twins at the desk
    for path in REVIEW_PATHS:
        assert "credentials" not in paths[path]["get"]["x-amazon-apigateway-integration"], path
        desk = paths[DESK + path]["get"]["x-amazon-apigateway-integration"]
        assert "credentials" not in desk, DESK + path
    # And the function lets API Gateway invoke it, once per route: each IAM route and its twin
    permissions = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == {"Ref": "AuditReviewFunction"}
    ]
    assert len(permissions) == 2 * len(REVIEW_PATHS)
    assert {p["Principal"] for p in permissions} == {"apigateway.amazonaws.com"}


def test_review_function_answers_within_api_gateways_timeout(resources: dict[str, Any]) -> None:
    properties = resources["AuditReviewFunction"]["Properties"]

    assert properties["Handler"] == "clearance.handlers.audit_review.handler"
    assert int(properties["Timeout"]) <= 29
    assert int(properties["MemorySize"]) == 512


def test_review_role_lists_audit_and_cleared_copies_reads_audit_objects_and_only_reads_the_key(
    resources: dict[str, Any],
) -> None:
    # Given every permission of the review function's role
    role = _role_of(resources, "AuditReviewFunction")
    audit = _bucket_arn(resources, "AuditBucket")
    cleared = _bucket_arn(resources, "ClearedBucket")
    allowed = _allowed(resources, role)

    # Then it may list the audit bucket and read objects under audit/, list the cleared copies
    # (to judge a kill), and read the digest key's public part (to verify the digest chain), and
    # nothing else: no cleared object read, no signature
    assert sorted((sorted(actions), targets) for actions, targets in allowed) == sorted(
        [
            (["kms:GetPublicKey"], ["${DigestSigningKey.Arn}"]),
            (["s3:GetObject"], [f"{audit}/{keys.AUDIT}*"]),
            (["s3:ListBucket"], [audit]),
            (["s3:ListBucket"], [cleared]),
        ]
    )
    # And the cleared bucket is listed only under cleared/
    (listing,) = [
        statement
        for statement in _policy_statements(resources[role])
        if statement["Effect"] == "Allow"
        and [_text(r) for r in _as_list(statement["Resource"])] == [cleared]
    ]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": f"{keys.CLEARED}*"}}
    # And nothing it holds could delete, unlock or re-govern a record
    granted = set().union(*(actions for actions, _ in allowed))
    assert not {action for action in granted if FORBIDDEN_ON_AUDIT.match(action)}


# ------------------------------------------------------------ audit digests


def test_digest_function_runs_at_45_past_every_hour(resources: dict[str, Any]) -> None:
    # Given the scheduled rules that invoke the digest function
    rules = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Events::Rule").values()
        if any(
            target["Arn"] == {"Fn::GetAtt": ["AuditDigestFunction", "Arn"]}
            for target in body["Properties"].get("Targets", [])
        )
    ]

    # Then there is one, at minute 45 of every hour of every day: an hour is sealed once it
    # has been over for the digest job's grace (40 minutes), so retried decisions land first
    assert len(rules) == 1
    expression = rules[0]["ScheduleExpression"]
    assert expression == "cron(45 * * * ? *)"
    minutes, hours, day_of_month, month, day_of_week, year = expression[5:-1].split()
    assert (minutes, hours, month, year) == ("45", "*", "*", "*")
    assert {day_of_month, day_of_week} == {"*", "?"}
    assert rules[0].get("State", "ENABLED") == "ENABLED"


def test_digest_function_never_runs_twice_at_once(resources: dict[str, Any]) -> None:
    properties = resources["AuditDigestFunction"]["Properties"]

    assert properties["Handler"] == "clearance.handlers.audit_digest.handler"
    assert properties["ReservedConcurrentExecutions"] == 1
    assert int(properties["Timeout"]) == 300
    assert int(properties["MemorySize"]) == 512


def test_digest_function_signs_with_the_stacks_digest_key(resources: dict[str, Any]) -> None:
    variables = resources["AuditDigestFunction"]["Properties"]["Environment"]["Variables"]

    assert variables["DIGEST_KEY_ID"] == {"Ref": "DigestSigningKey"}


def test_digest_role_reads_audit_writes_only_segments_and_digests_and_signs_with_the_key(
    resources: dict[str, Any],
) -> None:
    # Given every permission of the digest function's role
    role = _role_of(resources, "AuditDigestFunction")
    audit = _bucket_arn(resources, "AuditBucket")
    allowed = _allowed(resources, role)

    # Then it lists (with versions) and reads the audit log, puts only under audit/digests/ and
    # audit/segments/, and may only sign, with the digest key
    assert sorted((sorted(actions), targets) for actions, targets in allowed) == [
        (["kms:Sign"], ["${DigestSigningKey.Arn}"]),
        (["s3:GetObject"], [f"{audit}/{keys.AUDIT}*"]),
        (["s3:ListBucket", "s3:ListBucketVersions"], [audit]),
        (["s3:PutObject"], [f"{audit}/{keys.DIGESTS}*", f"{audit}/{keys.SEGMENTS}*"]),
    ]
    # And nothing it holds could delete, unlock or re-govern a record
    granted = set().union(*(actions for actions, _ in allowed))
    assert not {action for action in granted if FORBIDDEN_ON_AUDIT.match(action)}


def test_only_the_digest_role_signs_and_only_the_audit_review_role_reads_the_public_key(
    resources: dict[str, Any],
) -> None:
    # Given every identity statement that names a KMS action
    digest_role = _role_of(resources, "AuditDigestFunction")
    review_role = _role_of(resources, "AuditReviewFunction")
    kms = [
        (
            name,
            sorted(_as_list(statement["Action"])),
            [_text(r) for r in _as_list(statement["Resource"])],
        )
        for name, statement in _identity_statements(resources)
        if any(str(action).startswith("kms:") for action in _as_list(statement["Action"]))
    ]

    # Then the digest role may only sign, and the audit review role only read the public key
    # its digests are verified with, each on the digest key alone; no other role uses a key
    assert sorted(kms) == sorted(
        [
            (digest_role, ["kms:Sign"], ["${DigestSigningKey.Arn}"]),
            (review_role, ["kms:GetPublicKey"], ["${DigestSigningKey.Arn}"]),
        ]
    )
    # And the audit review function names the same key its digests were signed with
    variables = resources["AuditReviewFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["DIGEST_KEY_ID"] == {"Ref": "DigestSigningKey"}


def test_digest_key_is_an_ecdsa_p256_signing_key(resources: dict[str, Any]) -> None:
    key = resources["DigestSigningKey"]
    properties = key["Properties"]

    assert key["Type"] == "AWS::KMS::Key"
    assert properties["KeySpec"] == "ECC_NIST_P256"
    assert properties["KeyUsage"] == "SIGN_VERIFY"
    # Asymmetric keys cannot rotate: CloudFormation rejects EnableKeyRotation true on them
    assert properties.get("EnableKeyRotation", False) is False
    assert properties.get("Enabled", True) is True


def test_digest_key_policy_is_only_the_account_root_administering_the_key(
    resources: dict[str, Any],
) -> None:
    policy = resources["DigestSigningKey"]["Properties"]["KeyPolicy"]
    (statement,) = policy["Statement"]

    assert policy["Version"] == "2012-10-17"
    assert {k: v for k, v in statement.items() if k != "Sid"} == {
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        "Action": "kms:*",
        "Resource": "*",
    }


def test_bare_star_resource_is_allowed_only_in_the_digest_key_policy(
    resources: dict[str, Any],
) -> None:
    # Given every policy statement in the stack: roles, bucket and queue policies, key policies
    every = [
        (name, statement)
        for name, body in resources.items()
        for statement in _policy_statements(body)
    ] + [
        (name, statement)
        for name, body in _of_type(resources, "AWS::KMS::Key").items()
        for statement in _as_list(body["Properties"]["KeyPolicy"]["Statement"])
    ]

    # Then the only Allow on "*" is the key policy, where "*" means the key itself
    star = [
        name
        for name, statement in every
        if statement["Effect"] == "Allow"
        and "*" in [_text(r) for r in _as_list(statement.get("Resource", []))]
    ]
    assert star == ["DigestSigningKey"]


def test_digest_key_outlives_the_stack_and_has_the_stacks_alias(
    resources: dict[str, Any],
) -> None:
    aliases = [
        body["Properties"]
        for body in _of_type(resources, "AWS::KMS::Alias").values()
        if body["Properties"]["TargetKeyId"] == {"Ref": "DigestSigningKey"}
    ]

    assert resources["DigestSigningKey"].get("DeletionPolicy") == "Retain"
    assert resources["DigestSigningKey"].get("UpdateReplacePolicy") == "Retain"
    assert [_text(alias["AliasName"]) for alias in aliases] == [
        "alias/${AWS::StackName}-audit-digest"
    ]


# ------------------------------------------------------------------- Athena


def _audit_table(resources: dict[str, Any]) -> dict[str, Any]:
    (table,) = _of_type(resources, "AWS::Glue::Table").values()
    properties: dict[str, Any] = table["Properties"]
    return properties


def test_audit_database_name_has_no_hyphens(resources: dict[str, Any]) -> None:
    # Given the Glue database (Athena names allow no special character but "_")
    ((name, database),) = _of_type(resources, "AWS::Glue::Database").items()
    properties = database["Properties"]

    # Then its name is the stack name with every "-" joined back as "_", plus _audit
    assert properties["CatalogId"] == {"Ref": "AWS::AccountId"}
    assert properties["DatabaseInput"]["Name"] == {
        "Fn::Join": ["_", {"Fn::Split": ["-", {"Fn::Sub": "${AWS::StackName}_audit"}]}]
    }
    assert _audit_table(resources)["DatabaseName"] == {"Ref": name}


def test_decisions_table_reads_the_sealed_segments_as_json(resources: dict[str, Any]) -> None:
    table = _audit_table(resources)["TableInput"]
    storage = table["StorageDescriptor"]
    bucket = _bucket_name(resources, "AuditBucket")

    assert table["Name"] == "decisions"
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert _text(storage["Location"]) == f"s3://{bucket}/{keys.SEGMENTS}"
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"


def test_decisions_table_is_partitioned_by_day_with_projection(
    resources: dict[str, Any],
) -> None:
    table = _audit_table(resources)["TableInput"]
    parameters = table["Parameters"]
    bucket = _bucket_name(resources, "AuditBucket")

    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert {k: v for k, v in parameters.items() if k.startswith("projection.")} == {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2024-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    # ${!dt} is Fn::Sub's escape for a literal ${dt}, which Athena fills in per partition
    assert _text(parameters["storage.location.template"]) == (
        f"s3://{bucket}/{keys.segment_day_prefix('${!dt}')}"
    )


def test_decisions_table_columns_are_the_audit_record_fields(resources: dict[str, Any]) -> None:
    # Given the table's columns and the audit record schema
    columns = {
        column["Name"]: column["Type"]
        for column in _audit_table(resources)["TableInput"]["StorageDescriptor"]["Columns"]
    }
    schema = json.loads(AUDIT_RECORD_SCHEMA.read_text(encoding="utf-8"))

    # Then there is one column per top-level field, with these Hive types
    assert columns == {
        "decision_id": "string",
        "decided_at": "string",
        "request_id": "string",
        "source": (
            "struct<bucket:string,key:string,version_id:string,sha256:string,bytes:bigint,item:int>"
        ),
        "provider": "string",
        "article": "struct<uri:string,version:string,id:string,headline:string>",
        "policy": "struct<id:string,version:string,sha256:string>",
        "outcome": "string",
        "findings": (
            "array<struct<rule_id:string,pointer:string,severity:string,message:string,"
            "detail:string>>"
        ),
        "copies": "array<struct<bucket:string,key:string,sha256:string,kind:string>>",
        "withdrawn_prefix": "string",
        "record_version": "int",
        "event": "struct<kind:string,timer:string,by:string,reason:string>",
        "removed": (
            "array<struct<bucket:string,key:string,version_id:string,sha256:string,"
            "removed_at:string>>"
        ),
        "deadline": "string",
        "review": "struct<reviewer:string,verdict:string,reason:string,held_decision:string>",
        "licensee": "struct<territory:string,use:string,channel:string>",
    }
    assert set(columns) == set(schema["properties"])
    # And each struct has exactly the fields of the schema's object
    for name, hive_type in columns.items():
        field = schema["properties"][name]
        nested = field.get("items", field).get("properties")
        if nested is not None:
            inner = hive_type.removeprefix("array<").removeprefix("struct<").rstrip(">")
            assert [part.split(":", 1)[0] for part in inner.split(",")] == list(nested), name


def test_outputs_name_the_key_database_and_table(translated: Template) -> None:
    outputs = translated["Outputs"]

    assert outputs["DigestSigningKeyArn"]["Value"] == {"Fn::GetAtt": ["DigestSigningKey", "Arn"]}
    assert outputs["AuditDatabaseName"]["Value"] == {"Ref": "AuditDatabase"}
    assert outputs["AuditDecisionsTableName"]["Value"] == {"Ref": "AuditDecisionsTable"}


# ------------------------------------------------------------ article state


class _TableRecorder:
    """Stands in for the DynamoDB client: keeps what create_state_table asks for."""

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}

    def create_table(self, **request: Any) -> None:
        self.created = request


@pytest.mark.parametrize("name", TABLES)
def test_table_is_on_demand_recoverable_protected_and_encrypted(
    resources: dict[str, Any], name: str
) -> None:
    table = resources[name]
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    # And the states, kills and timers (and the feeds' cursors) outlive the stack, like the
    # audit log
    assert table.get("DeletionPolicy") == "Retain"
    assert table.get("UpdateReplacePolicy") == "Retain"


def _same_table(properties: dict[str, Any], local: dict[str, Any]) -> None:
    """The deployed table's name, billing, key (the article or subscription id) and attributes
    are those of the table the local stack creates."""
    assert properties["TableName"] == {"Fn::Sub": local["TableName"]}
    assert properties["BillingMode"] == local["BillingMode"]
    assert (
        properties["KeySchema"]
        == local["KeySchema"]
        == [{"AttributeName": "pk", "KeyType": "HASH"}]
    )
    assert properties["AttributeDefinitions"] == local["AttributeDefinitions"]


def test_state_table_keys_and_indexes_are_those_of_the_local_table(
    resources: dict[str, Any],
) -> None:
    # Given the table that the local stack and the tests create
    recorder: Any = _TableRecorder()
    create_state_table(recorder, Names(stack="${AWS::StackName}"))
    local = recorder.created
    properties = resources["ArticleStateTable"]["Properties"]

    # Then the deployed table has its name, key, attributes and indexes exactly
    _same_table(properties, local)
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    assert indexes == {index["IndexName"]: index for index in local["GlobalSecondaryIndexes"]}
    # And those are the sweep's `due` index (keys only) and the reviewers' `held` index (all)
    assert indexes["due"]["KeySchema"] == [
        {"AttributeName": "due_shard", "KeyType": "HASH"},
        {"AttributeName": "next_due", "KeyType": "RANGE"},
    ]
    assert indexes["due"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes["held"]["KeySchema"] == [
        {"AttributeName": "held_partition", "KeyType": "HASH"},
        {"AttributeName": "held_since", "KeyType": "RANGE"},
    ]
    assert indexes["held"]["Projection"] == {"ProjectionType": "ALL"}


def test_event_bus_is_the_stages_clearance_bus(resources: dict[str, Any]) -> None:
    bus = resources["PublishedEventBus"]

    assert bus["Type"] == "AWS::Events::EventBus"
    assert _text(bus["Properties"]["Name"]) == Names(stage="${Stage}").event_bus


@pytest.mark.parametrize("function", STATE_FUNCTIONS)
def test_state_function_names_the_stacks_table_and_bus_without_referencing_them(
    resources: dict[str, Any], function: str
) -> None:
    variables = resources[function]["Properties"]["Environment"]["Variables"]
    names = Names(stack="${AWS::StackName}", stage="${Stage}")

    assert variables["STATE_TABLE"] == {"Fn::Sub": names.state_table}
    assert variables["STATE_TABLE"] == resources["ArticleStateTable"]["Properties"]["TableName"]
    assert variables["EVENT_BUS"] == {"Fn::Sub": names.event_bus}
    assert variables["EVENT_BUS"] == resources["PublishedEventBus"]["Properties"]["Name"]
    licensee = {
        "LICENSEE_TERRITORY": {"Ref": "LicenseeTerritory"},
        "LICENSEE_USE": {"Ref": "LicenseeUse"},
        "LICENSEE_CHANNEL": {"Ref": "LicenseeChannel"},
    }
    if function == "KillFunction":
        # A kill decides nothing: it reads no licensee.
        assert not set(licensee) & set(variables)
    else:
        assert {name: variables[name] for name in licensee} == licensee
    assert not {"ArticleStateTable", "PublishedEventBus"} & set(_references(resources[function]))


def test_lifecycle_function_runs_every_minute_one_sweep_at_a_time(
    resources: dict[str, Any],
) -> None:
    # Given the scheduled rules that invoke the lifecycle function
    rules = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Events::Rule").values()
        if any(
            target["Arn"] == {"Fn::GetAtt": ["LifecycleFunction", "Arn"]}
            for target in body["Properties"].get("Targets", [])
        )
    ]
    properties = resources["LifecycleFunction"]["Properties"]

    # Then there is one, every minute, and never two sweeps at once
    assert len(rules) == 1
    assert rules[0]["ScheduleExpression"] == "rate(1 minute)"
    assert rules[0].get("State", "ENABLED") == "ENABLED"
    assert properties["ReservedConcurrentExecutions"] == 1
    assert properties["Handler"] == "clearance.handlers.lifecycle.handler"
    assert int(properties["Timeout"]) == 300
    assert int(properties["MemorySize"]) == 1024


def test_kill_route_is_a_post_to_the_kill_function_needing_only_the_providers_api_key(
    sam_template: Template, resources: dict[str, Any]
) -> None:
    # Given the API as SAM renders it
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    kill_paths = [
        path
        for path, methods in paths.items()
        if any("${KillFunction.Arn}" in _integration_uri(op) for op in methods.values())
    ]

    # Then the kill order is a POST under the provider's article, HMAC-signed like a delivery
    # and so with no authoriser at the API: only the provider's API key, for its own budget
    assert kill_paths == [KILL_PATH]
    assert set(paths[KILL_PATH]) == {"post"}
    assert paths[KILL_PATH]["post"]["security"] == [{"api_key": []}]
    permissions = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == {"Ref": "KillFunction"}
    ]
    assert [p["Principal"] for p in permissions] == ["apigateway.amazonaws.com"]


def test_kill_function_verifies_orders_like_the_webhook(resources: dict[str, Any]) -> None:
    kill = resources["KillFunction"]["Properties"]["Environment"]["Variables"]
    webhook = resources["WebhookFunction"]["Properties"]["Environment"]["Variables"]

    assert kill["WEBHOOK_SECRET_PREFIX"] == webhook["WEBHOOK_SECRET_PREFIX"]
    assert kill["MAX_BODY_BYTES"] == webhook["MAX_BODY_BYTES"] == {"Ref": "MaxBodyBytes"}


def test_held_review_routes_require_iam_signatures_and_their_desk_twins_a_desk_token(
    resources: dict[str, Any],
) -> None:
    # Given the API as SAM renders it
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    review_routes = {
        (path, method)
        for path, methods in paths.items()
        for method, operation in methods.items()
        if "${ReviewFunction.Arn}" in _integration_uri(operation)
    }
    desk_twins = {(DESK + path, method) for path, method in HELD_REVIEW_ROUTES}

    # Then listing held versions, reading one and giving a verdict go to the review function,
    # each needing a SigV4 (IAM) signature, or under /desk the desk's Cognito token
    assert review_routes == set(HELD_REVIEW_ROUTES) | desk_twins
    for path, method in HELD_REVIEW_ROUTES:
        assert paths[path][method]["security"] == [{"AWS_IAM": []}], path
        assert paths[DESK + path][method]["security"] == [{DESK_AUTHORIZER: []}], path
    # And those paths have no method that goes anywhere else
    for path in {path for path, _ in review_routes}:
        assert set(paths[path]) == {m for p, m in review_routes if p == path}, path
    # And API Gateway invokes the function through its resource policy, once per route
    for path, method in review_routes:
        assert "credentials" not in paths[path][method]["x-amazon-apigateway-integration"], path
    permissions = [
        body["Properties"]
        for body in _of_type(resources, "AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == {"Ref": "ReviewFunction"}
    ]
    assert len(permissions) == len(review_routes)
    assert {p["Principal"] for p in permissions} == {"apigateway.amazonaws.com"}


@pytest.mark.parametrize(
    ("function", "handler", "memory"),
    [
        ("KillFunction", "clearance.handlers.kill.handler", 512),
        ("ReviewFunction", "clearance.handlers.review.handler", 1024),
    ],
)
def test_api_state_function_answers_within_api_gateways_timeout(
    resources: dict[str, Any], function: str, handler: str, memory: int
) -> None:
    properties = resources[function]["Properties"]

    assert properties["Handler"] == handler
    assert int(properties["Timeout"]) <= 29
    assert int(properties["MemorySize"]) == memory


def _state_statements(resources: dict[str, Any]) -> list[tuple[list[str], list[str]]]:
    """What every state function needs to carry an event through an article's transition."""
    cleared = _bucket_arn(resources, "ClearedBucket")
    return [
        (["dynamodb:GetItem", "dynamodb:PutItem"], [_state_table_arn(resources)]),
        (["events:PutEvents"], [_bus_arn(resources)]),
        (["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [f"{cleared}/{keys.CLEARED}*"]),
        (["s3:ListBucket"], [cleared]),
        (["s3:PutObject"], [f"{cleared}/{keys.TOMBSTONES}*"]),
    ]


def test_new_state_roles_hold_only_what_their_function_does(resources: dict[str, Any]) -> None:
    # Given what each new state function does besides the shared article-state work
    table = _state_table_arn(resources)
    inbound = _objects(resources, "InboundBucket", keys.INBOUND)
    audit = _bucket_arn(resources, "AuditBucket")
    secrets = (
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        ":secret:clearance/${Stage}/webhook/*"
    )
    append_audit = (
        ["s3:PutObject"],
        [f"{audit}/{prefix}*" for prefix in (keys.DECISIONS, keys.ARTICLE_POINTERS, keys.POLICIES)],
    )
    redecide = (["s3:GetObject", "s3:GetObjectVersion"], [inbound])
    extra = {
        "LifecycleFunction": [redecide, (["dynamodb:Query"], [table + "/index/due"])],
        "KillFunction": [(["secretsmanager:GetSecretValue"], [secrets])],
        "ReviewFunction": [redecide, (["dynamodb:Query"], [table + "/index/held"])],
    }

    for function in NEW_STATE_FUNCTIONS:
        role = _role_of(resources, function)
        allowed = sorted((sorted(a), t) for a, t in _allowed(resources, role))
        # Then its role allows exactly that, and nothing else
        expected = sorted([*_state_statements(resources), append_audit, *extra[function]])
        assert allowed == expected, function


def test_processor_role_holds_the_article_state_statements(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "ProcessorFunction")
    allowed = [(sorted(actions), targets) for actions, targets in _allowed(resources, role)]

    for statement in _state_statements(resources):
        assert statement in allowed


def test_every_role_statement_has_a_sid(resources: dict[str, Any]) -> None:
    missing = [
        name
        for function in FUNCTIONS
        for name in [_role_of(resources, function)]
        for statement in _policy_statements(resources[name])
        if statement["Effect"] == "Allow" and not statement.get("Sid")
    ]

    assert missing == []


@pytest.mark.parametrize("function", NEW_STATE_FUNCTIONS)
def test_new_state_role_cannot_delete_read_or_rewrite_audit_records(
    resources: dict[str, Any], function: str
) -> None:
    # Given the role's permissions that touch the audit bucket
    role = _role_of(resources, function)
    audit = _bucket_arn(resources, "AuditBucket")
    on_audit = [
        (actions, targets)
        for actions, targets in _allowed(resources, role)
        if any(_touches_bucket(t, resources, "AuditBucket") for t in targets)
    ]

    # Then it may only put (write-once) decisions, their article pointers and the terms texts
    # they name, never digests
    granted = set().union(*(actions for actions, _ in on_audit))
    assert granted == {"s3:PutObject"}
    assert not {action for action in granted if FORBIDDEN_ON_AUDIT.match(action)}
    assert {target for _, targets in on_audit for target in targets} == {
        f"{audit}/{keys.DECISIONS}*",
        f"{audit}/{keys.ARTICLE_POINTERS}*",
        f"{audit}/{keys.POLICIES}*",
    }


def test_only_lifecycle_and_review_roles_may_query_each_only_its_own_index(
    resources: dict[str, Any],
) -> None:
    table = _state_table_arn(resources)
    queries = {
        function: [targets for actions, targets in statements if "dynamodb:Query" in actions]
        for function, statements in _granting(resources, "dynamodb:").items()
    }

    assert {function: found for function, found in queries.items() if found} == {
        "LifecycleFunction": [[table + "/index/due"]],
        "ReviewFunction": [[table + "/index/held"]],
    }


def test_only_state_roles_use_the_state_table_and_never_delete_update_or_scan(
    resources: dict[str, Any],
) -> None:
    # Given every DynamoDB statement that names the state table or one of its indexes
    table = _state_table_arn(resources)
    dynamodb = {
        function: on_table
        for function, statements in _granting(resources, "dynamodb:").items()
        if (
            on_table := [
                (actions, targets)
                for actions, targets in statements
                if any(t == table or t.startswith(table + "/") for t in targets)
            ]
        )
    }

    # Then only the state functions hold one, each only reading, putting and querying
    assert set(dynamodb) == set(STATE_FUNCTIONS)
    for function, statements in dynamodb.items():
        for actions, targets in statements:
            assert actions <= {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}, function
            assert all(
                target == table or target.startswith(table + "/index/") for target in targets
            )


def test_only_state_roles_may_put_events_and_only_clearance_events_on_the_bus(
    resources: dict[str, Any],
) -> None:
    # Given every statement that allows an EventBridge action
    events = [
        (name, statement)
        for name, statement in _identity_statements(resources)
        if statement["Effect"] == "Allow"
        and any(str(action).startswith("events:") for action in _as_list(statement["Action"]))
    ]

    # Then each state role has one, PutEvents on the stack's bus with source "clearance"
    assert sorted(name for name, _ in events) == sorted(
        _role_of(resources, function) for function in STATE_FUNCTIONS
    )
    for _, statement in events:
        assert _as_list(statement["Action"]) == ["events:PutEvents"]
        assert [_text(r) for r in _as_list(statement["Resource"])] == [_bus_arn(resources)]
        assert statement["Condition"] == {"StringEquals": {"events:source": "clearance"}}


def test_only_state_roles_may_delete_and_only_cleared_copies(resources: dict[str, Any]) -> None:
    cleared_copies = _objects(resources, "ClearedBucket", keys.CLEARED)
    deleting = {
        function: statements
        for function, statements in _granting(resources, "s3:").items()
        if any(action.startswith("s3:Delete") for actions, _ in statements for action in actions)
    }

    assert set(deleting) == set(STATE_FUNCTIONS)
    for statements in deleting.values():
        for actions, targets in statements:
            deletes = {action for action in actions if action.startswith("s3:Delete")}
            if deletes:
                assert deletes == {"s3:DeleteObject"}
                assert targets == [cleared_copies]


def test_only_the_webhook_and_kill_roles_read_webhook_secrets(resources: dict[str, Any]) -> None:
    # Given every Secrets Manager statement, and those that reach a webhook secret
    granted = _granting(resources, "secretsmanager:")
    webhook = f"{SECRET_ARN}{Names(stage='${Stage}').secret_prefix}"
    secrets = {
        function: statements
        for function, statements in granted.items()
        if any(_matches(t, webhook + "menafn-AbCdEf") for _, ts in statements for t in ts)
    }

    # Then only the webhook and the kill function may read them, alike
    assert set(secrets) == {"WebhookFunction", "KillFunction"}
    assert secrets["KillFunction"] == secrets["WebhookFunction"]
    # And nothing else reads any secret but the poller, its feeds' own
    assert set(granted) == {"WebhookFunction", "KillFunction", "FeedPollerFunction"}


def test_outputs_name_the_tables_and_the_bus(translated: Template) -> None:
    outputs = translated["Outputs"]

    assert outputs["ArticleStateTableName"]["Value"] == {"Ref": "ArticleStateTable"}
    assert outputs["SubscriptionsTableName"]["Value"] == {"Ref": "SubscriptionsTable"}
    assert outputs["PublishedEventBusName"]["Value"] == {"Ref": "PublishedEventBus"}
    assert outputs["PublishedEventBusArn"]["Value"] == {"Fn::GetAtt": ["PublishedEventBus", "Arn"]}


# -------------------------------------------------------------- feed poller


def _subscriptions_table_arn(resources: dict[str, Any]) -> str:
    name = resources["SubscriptionsTable"]["Properties"]["TableName"]
    assert isinstance(name, dict), "the subscriptions table needs a fixed name built with Fn::Sub"
    return "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + _text(name)


def _rules_invoking(resources: dict[str, Any], function: str) -> list[dict[str, Any]]:
    return [
        body["Properties"]
        for body in _of_type(resources, "AWS::Events::Rule").values()
        if any(
            target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
            for target in body["Properties"].get("Targets", [])
        )
    ]


def test_every_schedule_invokes_one_of_the_scheduled_functions_as_listed(
    resources: dict[str, Any],
) -> None:
    # Given every EventBridge rule of the stack
    rules = _of_type(resources, "AWS::Events::Rule").values()

    # Then each invokes one function on the schedule listed for it, one rule per function
    scheduled = {
        target["Arn"]["Fn::GetAtt"][0]: rule["Properties"]["ScheduleExpression"]
        for rule in rules
        for target in rule["Properties"]["Targets"]
    }
    assert scheduled == SCHEDULED
    assert len(rules) == len(SCHEDULED)


def test_feed_poller_runs_every_minute_one_poll_at_a_time(resources: dict[str, Any]) -> None:
    # Given the scheduled rules that invoke the feed poller
    rules = _rules_invoking(resources, "FeedPollerFunction")
    properties = resources["FeedPollerFunction"]["Properties"]

    # Then there is one, every minute, and never two polls at once on AWS
    assert len(rules) == 1
    assert rules[0]["ScheduleExpression"] == "rate(1 minute)"
    assert rules[0].get("State", "ENABLED") == "ENABLED"
    assert properties["ReservedConcurrentExecutions"] == 1
    assert properties["Handler"] == "clearance.handlers.feed_poller.handler"
    # And a run has time for a cursor feed's every page, each fetch at its longest
    assert int(properties["Timeout"]) >= MAX_PAGES * Limits().total_seconds
    assert int(properties["Timeout"]) == 300
    assert int(properties["MemorySize"]) == 1024


def test_feed_poller_role_holds_only_what_polling_feeds_needs(resources: dict[str, Any]) -> None:
    # Given every permission of the feed poller's role
    allowed = _allowed(resources, _role_of(resources, "FeedPollerFunction"))
    table = _subscriptions_table_arn(resources)
    inbound = _objects(resources, "InboundBucket", keys.INBOUND)
    feeds = SECRET_ARN + Names(stage="${Stage}").feed_secret_prefix

    # Then it may scan, read and put subscriptions, put objects under inbound/ and read feed
    # secrets, and nothing else
    assert sorted((sorted(actions), targets) for actions, targets in allowed) == [
        (["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"], [table]),
        (["s3:PutObject"], [inbound]),
        (["secretsmanager:GetSecretValue"], [feeds + "*"]),
    ]
    granted = set().union(*(actions for actions, _ in allowed))
    # And it never reads or removes an inbound object, nor deletes or updates a subscription
    assert not {"s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"} & granted
    assert not {"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Query"} & granted
    # And a pulled item's key is under what it may put; a webhook receipt's is not
    objects = [t for actions, ts in allowed if "s3:PutObject" in actions for t in ts]
    bucket = _bucket_arn(resources, "InboundBucket")
    pulled = f"{bucket}/{keys.pulled_key('dpa', 'a-1-v1-0123456789abcdef', 'xml')}"
    receipt = f"{bucket}/{keys.receipt_key('dpa', 'msg_1')}"
    assert any(_matches(target, pulled) for target in objects)
    assert not any(_matches(target, receipt) for target in objects)
    # And of the stage's secrets it reads the feeds' only, not the providers' webhook secrets
    secrets = [t for a, ts in allowed if "secretsmanager:GetSecretValue" in a for t in ts]
    assert any(_matches(target, feeds + "ap-AbCdEf") for target in secrets)
    webhook = SECRET_ARN + Names(stage="${Stage}").secret_prefix + "menafn-AbCdEf"
    assert not any(_matches(target, webhook) for target in secrets)


def test_only_the_feed_poller_uses_the_subscriptions_table(resources: dict[str, Any]) -> None:
    table = _subscriptions_table_arn(resources)
    users = {
        function
        for function, statements in _granting(resources, "dynamodb:").items()
        for _, targets in statements
        if any(target == table or target.startswith(table + "/") for target in targets)
    }

    assert users == {"FeedPollerFunction"}


def test_feed_poller_names_its_table_and_feed_secrets_without_referencing_them(
    resources: dict[str, Any],
) -> None:
    # Given the poller's environment and the names the local stack gives the same things
    variables = resources["FeedPollerFunction"]["Properties"]["Environment"]["Variables"]
    names = Names(stack="${AWS::StackName}", stage="${Stage}")

    # Then it names the stack's subscriptions table and the stage's feed secrets by their names
    table = resources["SubscriptionsTable"]["Properties"]["TableName"]
    assert variables["SUBSCRIPTIONS_TABLE"] == {"Fn::Sub": names.subscriptions_table} == table
    assert variables["FEED_SECRET_PREFIX"] == {"Fn::Sub": names.feed_secret_prefix}
    assert "SubscriptionsTable" not in set(_references(resources["FeedPollerFunction"]))


def test_subscriptions_table_keys_are_those_of_the_local_table(
    resources: dict[str, Any],
) -> None:
    # Given the table that the local stack and the tests create
    recorder: Any = _TableRecorder()
    create_subscriptions_table(recorder, Names(stack="${AWS::StackName}"))
    local = recorder.created
    properties = resources["SubscriptionsTable"]["Properties"]

    # Then the deployed table has its name, key and attributes exactly, and no index
    _same_table(properties, local)
    assert "GlobalSecondaryIndexes" not in properties
    assert "GlobalSecondaryIndexes" not in local


class _PollerRun:
    """Stands in for the poller: a run that polled nothing, with one feed failing in a row."""

    def __init__(self, failing: int) -> None:
        self.failing = failing

    def poll_due(self, only: str | None = None) -> Run:
        return Run((), self.failing)


def test_feed_failures_alarm_tells_the_alert_topic_when_one_feed_fails_too_often(
    sam_template: Template, resources: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the alarm, and what the poller emits after a run with a feed failing that often
    alarm = resources["FeedFailuresAlarm"]["Properties"]
    capsys.readouterr()
    poller: Any = _PollerRun(failing=ALARM_AFTER_FAILURES)
    feed_poller.handler({}, lambda_context("FeedPollerFunction"), poller=poller)
    (emitted,) = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    (directive,) = emitted["_aws"]["CloudWatchMetrics"]

    # Then the alarm watches that metric, in the functions' namespace, by the functions' service
    variables = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"] == directive["Namespace"]
    assert alarm["MetricName"] == "FeedFailuresInARow"
    assert "FeedFailuresInARow" in {metric["Name"] for metric in directive["Metrics"]}
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions == {"service": variables["POWERTOOLS_SERVICE_NAME"]}
    assert [sorted(dimensions)] == directive["Dimensions"]
    assert {name: emitted[name] for name in dimensions} == dimensions
    # And it fires on the largest run of failures reaching ALARM_AFTER_FAILURES, at once
    assert alarm["Statistic"] == "Maximum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == ALARM_AFTER_FAILURES
    assert emitted["FeedFailuresInARow"] == [float(ALARM_AFTER_FAILURES)]
    assert alarm["EvaluationPeriods"] == 1
    assert 60 <= alarm["Period"] <= 300
    # And a minute without a poll is not a failure
    assert alarm["TreatMissingData"] == "notBreaching"
    # And it tells whoever the dead-letter alarm tells, when it fires and when it clears
    dead_letters = resources["InboundDeadLetterAlarm"]["Properties"]
    assert alarm["AlarmActions"] == dead_letters["AlarmActions"] == [{"Ref": "AlertTopic"}]
    assert alarm["OKActions"] == dead_letters["OKActions"]


# ------------------------------------------------------------ dependencies


def test_translated_resources_have_no_dependency_cycle(resources: dict[str, Any]) -> None:
    assert _find_cycle(resources) is None


def test_dependency_check_finds_a_function_that_refs_the_bucket_that_triggers_it() -> None:
    # Given a bucket that notifies a function whose environment names the bucket by Ref
    resources = {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "NotificationConfiguration": {
                    "LambdaConfigurations": [{"Function": {"Fn::GetAtt": ["Function", "Arn"]}}]
                }
            },
        },
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Environment": {"Variables": {"BUCKET": {"Fn::Sub": "${Bucket}"}}},
                "Role": {"Fn::GetAtt": "Role.Arn"},
            },
        },
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
    }

    # When the dependency graph is checked, then the cycle is found
    cycle = _find_cycle(resources)
    assert cycle is not None
    assert set(cycle) == {"Bucket", "Function"}


@pytest.mark.reliability
def test_audit_bucket_refuses_unconditional_writes_and_logs_access(
    resources: dict[str, Any],
) -> None:
    # Given the audit bucket and its policy
    bucket = resources["AuditBucket"]["Properties"]
    statements = resources["AuditBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    # Then a put without If-None-Match is denied to everyone, on every key
    (deny,) = [s for s in statements if s.get("Sid") == "DenyUnconditionalWrites"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:PutObject")
    assert deny["Condition"] == {"Null": {"s3:if-none-match": "true"}}
    assert _text(deny["Resource"]).endswith("/*")
    # And every request on it is logged to a bucket of its own, which S3's logging may write
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": "AuditAccessLogBucket"
    }
    log_policy = resources["AuditAccessLogBucketPolicy"]["Properties"]["PolicyDocument"]
    principals = [s.get("Principal") for s in log_policy["Statement"] if s["Effect"] == "Allow"]
    assert principals == [{"Service": "logging.s3.amazonaws.com"}]


# ------------------------------------------------- alerts, throttles, access logs


def _stage(resources: dict[str, Any]) -> dict[str, Any]:
    (stage,) = _of_type(resources, "AWS::ApiGateway::Stage").values()
    properties: dict[str, Any] = stage["Properties"]
    return properties


def _routes(resources: dict[str, Any]) -> list[tuple[str, str]]:
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    return [(path, method) for path, methods in paths.items() for method in methods]


def _throttle(resources: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The stage's method setting for one route (API Gateway writes "/" in a path as "~1")."""
    encoded = "/" + path.replace("/", "~1")
    settings: list[dict[str, Any]] = _stage(resources)["MethodSettings"]
    (setting,) = [
        s for s in settings if (s["ResourcePath"], s["HttpMethod"]) == (encoded, method.upper())
    ]
    return setting


def test_dead_letter_alarm_tells_the_alert_topic_when_it_fires_and_when_it_clears(
    resources: dict[str, Any],
) -> None:
    alarm = resources["InboundDeadLetterAlarm"]["Properties"]

    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["InboundDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]
    assert alarm["OKActions"] == [{"Ref": "AlertTopic"}]
    assert resources["AlertTopic"]["Type"] == "AWS::SNS::Topic"


def test_alert_email_is_subscribed_only_when_one_is_given(
    translated: Template, resources: dict[str, Any]
) -> None:
    # Given the AlertEmail parameter, empty by default
    parameter = translated["Parameters"]["AlertEmail"]
    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert re.fullmatch(parameter["AllowedPattern"], "desk@example.com")
    assert not re.fullmatch(parameter["AllowedPattern"], "not an address")

    # Then the email subscription to the alert topic exists only when it is not empty
    subscription = resources["AlertEmailSubscription"]
    assert subscription["Condition"] == "HasAlertEmail"
    assert translated["Conditions"]["HasAlertEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]
    }
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlertTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlertEmail"},
    }
    assert translated["Outputs"]["AlertTopicArn"]["Value"] == {"Ref": "AlertTopic"}


def test_every_route_has_its_own_throttle_and_reviews_and_audits_a_tighter_one(
    resources: dict[str, Any],
) -> None:
    # Given every route of the API: the providers', the IAM ones and their twins at the desk
    routes = _routes(resources)
    assert len(routes) == len(PROVIDER_ROUTES) + len(IAM_ROUTES) + len(DESK_ROUTES) == 16

    # Then each has a throttle of its own, so a flood on one cannot use up another's
    settings = {(s["ResourcePath"], s["HttpMethod"]) for s in _stage(resources)["MethodSettings"]}
    unthrottled = sorted(
        (method.upper(), path)
        for path, method in routes
        if ("/" + path.replace("/", "~1"), method.upper()) not in settings
    )
    assert unthrottled == [], "routes with no throttle of their own"
    limits = {route: _throttle(resources, *route) for route in routes}
    for setting in limits.values():
        assert 0 < setting["ThrottlingRateLimit"] <= setting["ThrottlingBurstLimit"]
    # And deliveries get the most; the IAM routes a fraction of it (kills: a budget per
    # provider, under a ceiling, below)
    webhook = limits[(WEBHOOK_PATH, "post")]["ThrottlingRateLimit"]
    others = [limit["ThrottlingRateLimit"] for route, limit in limits.items()]
    assert max(others) == webhook
    for method, path in IAM_ROUTES | DESK_ROUTES:
        assert limits[(path, method.lower())]["ThrottlingRateLimit"] < webhook, (method, path)
    # And any route added later is still bounded by the stage-wide default
    default = _stage(resources)["MethodSettings"][0]
    assert (default["ResourcePath"], default["HttpMethod"]) == ("/*", "*")


def test_api_access_log_is_one_json_line_per_request_kept_for_the_log_retention(
    resources: dict[str, Any],
) -> None:
    # Given the API stage's access log setting
    setting = _stage(resources)["AccessLogSetting"]
    group = resources["ApiAccessLogGroup"]["Properties"]

    # Then it writes to its own log group, kept for LogRetentionDays
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # And each line is a JSON object naming the request, the caller, the route and the answer
    line = json.loads(setting["Format"])
    assert {"requestId", "ip", "caller", "user", "httpMethod", "resourcePath", "status"} <= set(
        line
    )
    assert line["ip"] == "$context.identity.sourceIp"


def test_api_gateway_logs_through_an_account_role_that_outlives_the_stack(
    resources: dict[str, Any],
) -> None:
    account = resources["ApiGatewayAccount"]
    role = resources["ApiGatewayLoggingRole"]

    assert account["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayLoggingRole", "Arn"]
    }
    assert [_text(arn) for arn in role["Properties"]["ManagedPolicyArns"]] == [
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    ]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert "Policies" not in role["Properties"]
    for body in (account, role):
        assert (body["DeletionPolicy"], body["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # And the API (so its stage) is made once the account names the role
    assert "ApiGatewayAccount" in _as_list(resources["ClearanceApi"]["DependsOn"])


@pytest.mark.parametrize("bucket", [b for b in BUCKETS if b not in LOG_BUCKETS])
def test_bucket_logs_every_request_to_a_log_bucket(resources: dict[str, Any], bucket: str) -> None:
    logging = resources[bucket]["Properties"]["LoggingConfiguration"]

    expected = "AuditAccessLogBucket" if bucket == "AuditBucket" else "AccessLogBucket"
    assert logging["DestinationBucketName"] == {"Ref": expected}
    assert logging["LogFilePrefix"].endswith("/")


def test_access_log_bucket_takes_logs_only_from_this_stacks_working_buckets(
    resources: dict[str, Any],
) -> None:
    # Given the access-log bucket's policy
    statements = list(_policy_statements(resources["AccessLogBucketPolicy"]))
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]

    # Then only S3's logging service may put objects, from this account's four working buckets
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert _text(allow["Resource"]) == "${AccessLogBucket.Arn}/*"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert sorted(_text(arn) for arn in allow["Condition"]["ArnLike"]["aws:SourceArn"]) == sorted(
        _bucket_arn(resources, bucket)
        for bucket in ("InboundBucket", "ClearedBucket", "QuarantineBucket", "ConsoleBucket")
    )
    # And its logs expire with the log groups'
    (rule,) = resources["AccessLogBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Ref": "LogRetentionDays"}


def test_processor_is_capped_by_its_queue_not_by_reserved_concurrency(
    resources: dict[str, Any],
) -> None:
    # Given the processor's SQS event source mapping
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()

    # Then a bulk drop scales it to a bounded number of instances, leaving the rest of the
    # account's concurrency to the webhook and kills
    assert 2 <= mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= 50
    # And it has no reservation: a throttled batch would count as a receive toward the DLQ
    assert "ReservedConcurrentExecutions" not in resources["ProcessorFunction"]["Properties"]


def test_kills_have_reserved_capacity_beyond_their_routes_burst(
    resources: dict[str, Any],
) -> None:
    reserved = resources["KillFunction"]["Properties"]["ReservedConcurrentExecutions"]

    assert reserved >= _throttle(resources, KILL_PATH, "post")["ThrottlingBurstLimit"]


def test_every_function_is_bounded_by_a_reservation_a_route_throttle_or_its_queue(
    resources: dict[str, Any],
) -> None:
    # Given the functions API Gateway invokes, and the one the queue invokes
    integrated = {
        name
        for methods in resources["ClearanceApi"]["Properties"]["Body"]["paths"].values()
        for operation in methods.values()
        for name in re.findall(r"\$\{(\w+)\.Arn\}", _integration_uri(operation))
    }
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    queued = {mapping["Properties"]["FunctionName"]["Ref"]}

    # Then every function without a reservation is one of them (the claim of .checkov.yaml)
    unreserved = {
        function
        for function in FUNCTIONS
        if "ReservedConcurrentExecutions" not in resources[function]["Properties"]
    }
    assert unreserved <= integrated | queued
    assert unreserved == {
        "WebhookFunction",
        "ProcessorFunction",
        "ReviewFunction",
        "AuditReviewFunction",
    }


# ------------------------------------------------- people, providers and the API's door

API_ARN = (
    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ClearanceApi}/${Stage}"
)
REVIEWER = "${ReviewerRole.Arn}"
COMPLIANCE = "${ComplianceRole.Arn}"
ADMINISTRATOR = "arn:aws:iam::123456789012:role/Administrator"
"""A principal of the account whose own policy allows execute-api:Invoke on every API."""
ROLE_ROUTES = {
    "ReviewerRole": {
        ("GET", "/v1/review"),
        ("GET", "/v1/review/articles/{id}"),
        ("POST", "/v1/review/articles/{id}"),
    },
    "ComplianceRole": {
        ("GET", "/v1/audit"),
        ("GET", "/v1/audit/articles/{id}"),
        ("GET", "/v1/audit/kills"),
        ("GET", "/v1/audit/verification"),
    },
}
ROLE_ARNS = {"ReviewerRole": REVIEWER, "ComplianceRole": COMPLIANCE}
IAM_ROUTES = ROLE_ROUTES["ReviewerRole"] | ROLE_ROUTES["ComplianceRole"]
"""The review and audit routes, each signed with IAM (SigV4) by its role."""
DESK_ROUTES = {(method, DESK + path) for method, path in IAM_ROUTES}
"""The same routes for people at the desk, each needing a token of the desk's user pool."""
PROVIDER_ROUTES = {("POST", WEBHOOK_PATH), ("POST", KILL_PATH)}
AUTHORIZATION_TYPES = {
    "awsSigv4": "AWS_IAM",
    "cognito_user_pools": "COGNITO_USER_POOLS",
    "custom": "CUSTOM",
}
"""A security scheme's x-amazon-apigateway-authtype, as the authorizationType of its methods."""
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")
_OPERATORS: dict[str, Callable[[str | None, set[str]], bool]] = {
    "ArnEquals": lambda value, wanted: value in wanted,
    "ArnNotEquals": lambda value, wanted: value not in wanted,
    "StringEquals": lambda value, wanted: value in wanted,
    "StringNotEquals": lambda value, wanted: value not in wanted,
}
"""The condition operators the checks below evaluate; a policy using another fails them."""


def _api_routes(resources: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, method in _routes(resources)}


def _request(method: str, path: str) -> str:
    """What a call to one route looks like to a policy: a concrete path, any id in it."""
    return method + _PATH_PARAMETER.sub("id-1", path)


def _matches(pattern: str, value: str) -> bool:
    """IAM's ARN wildcards: `*` any run of characters, `?` any one."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.fullmatch("".join(parts), value) is not None


def _holds(statement: Statement, context: dict[str, str | None]) -> bool:
    for operator, tests in statement.get("Condition", {}).items():
        if operator not in _OPERATORS:
            pytest.fail(f"condition operator {operator} is not evaluated here")
        for key, wanted in tests.items():
            values = {_text(value) for value in _as_list(wanted)}
            if not _OPERATORS[operator](context.get(key), values):
                return False
    return True


def _resource_policy(resources: dict[str, Any]) -> list[Statement]:
    policy = resources["ClearanceApi"]["Properties"]["Body"]["x-amazon-apigateway-policy"]
    return _as_list(policy["Statement"])


def _identity_allows(resources: dict[str, Any], principal: str, request: str) -> bool:
    """Whether the principal's own policies allow invoking one route of this stack's API."""
    if principal == ADMINISTRATOR:
        return True
    role = {REVIEWER: "ReviewerRole", COMPLIANCE: "ComplianceRole"}.get(principal)
    return role is not None and any(
        "execute-api:Invoke" in _as_list(statement["Action"])
        and any(_matches(_text(r), f"{API_ARN}/{request}") for r in _as_list(statement["Resource"]))
        for statement in _role_statements(resources, role)
        if statement["Effect"] == "Allow"
    )


def _role_statements(resources: dict[str, Any], role: str) -> list[Statement]:
    """Every statement of a role: inline, and of the policies attached to it."""
    statements = list(_policy_statements(resources[role]))
    for body in _of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} in body["Properties"]["Roles"]:
            statements += _policy_statements(body)
    return statements


def _applicable(
    resources: dict[str, Any], principal: str | None, method: str, path: str
) -> list[Statement]:
    """The resource policy's statements that apply to one call of one route by one principal
    (None: no IAM principal, an unsigned caller or a person with a desk token)."""
    target = f"execute-api:/dev/{_request(method, path)}"
    context = {"aws:PrincipalArn": principal}
    return [
        statement
        for statement in _resource_policy(resources)
        if statement["Action"] == "execute-api:Invoke"
        and any(_matches(resource, target) for resource in _as_list(statement["Resource"]))
        and _holds(statement, context)
    ]


def _denied(resources: dict[str, Any], principal: str | None, method: str, path: str) -> bool:
    """Whether an explicit deny of the resource policy refuses the call, whatever else allows it."""
    applicable = _applicable(resources, principal, method, path)
    return any(statement["Effect"] == "Deny" for statement in applicable)


def _reaches(resources: dict[str, Any], principal: str | None, method: str, path: str) -> bool:
    """API Gateway's decision for a REST API of one account: an explicit deny in the resource
    policy wins; an IAM route needs a signature, then an allow in the resource policy or in the
    principal's own policies; any other route needs an allow in the resource policy."""
    operation = resources["ClearanceApi"]["Properties"]["Body"]["paths"][path][method.lower()]
    request = _request(method, path)
    applicable = _applicable(resources, principal, method, path)
    if any(statement["Effect"] == "Deny" for statement in applicable):
        return False
    allowed = any(
        statement["Effect"] == "Allow" and statement["Principal"] == "*" for statement in applicable
    )
    if {"AWS_IAM": []} not in operation.get("security", []):
        return allowed
    return principal is not None and (allowed or _identity_allows(resources, principal, request))


def test_reviewer_and_compliance_roles_may_invoke_only_their_own_routes(
    resources: dict[str, Any],
) -> None:
    for role, routes in ROLE_ROUTES.items():
        # Given everything the role's policies allow
        statements = [s for s in _role_statements(resources, role) if s["Effect"] == "Allow"]

        # Then it is invoking this stack's API on this stage, and nothing else
        assert {a for s in statements for a in _as_list(s["Action"])} == {"execute-api:Invoke"}
        targets = [_text(r) for s in statements for r in _as_list(s["Resource"])]
        assert all(target.startswith(API_ARN + "/") for target in targets), targets
        # And of the API's routes, exactly the role's own
        reachable = {
            route
            for route in _api_routes(resources)
            if any(_matches(target, f"{API_ARN}/{_request(*route)}") for target in targets)
        }
        assert reachable == routes, role
        # And no managed policy adds anything
        assert "ManagedPolicyArns" not in resources[role]["Properties"], role


@pytest.mark.reliability
def test_api_resource_policy_admits_each_iam_route_to_its_role_alone(
    resources: dict[str, Any], figure: Callable[[str], None]
) -> None:
    # Given the API's routes and the principals that may try them: the two roles, an account
    # administrator whose own policy allows execute-api:Invoke everywhere, and an unsigned caller
    routes = _api_routes(resources)
    iam_routes = routes - PROVIDER_ROUTES - DESK_ROUTES
    assert iam_routes == IAM_ROUTES
    principals = {
        "ReviewerRole": REVIEWER,
        "ComplianceRole": COMPLIANCE,
        "an administrator": ADMINISTRATOR,
        "an unsigned caller": None,
    }

    # When API Gateway decides each call from the resource policy and the caller's own policies
    reached = {
        name: {route for route in routes if _reaches(resources, principal, *route)}
        for name, principal in principals.items()
    }

    # Then each role reaches its own IAM routes and no other, and no one else reaches any
    for role, own in ROLE_ROUTES.items():
        assert reached[role] & iam_routes == own, role
    assert reached["an administrator"] & iam_routes == set()
    assert reached["an unsigned caller"] & iam_routes == set()
    # And the providers' signed routes stay open to every caller
    for name in principals:
        assert reached[name] >= PROVIDER_ROUTES, name
    refused = sum(len(iam_routes - reached[name]) for name in principals)
    figure(
        f"{len(principals)} principals x {len(iam_routes)} IAM routes: the reviewer role reaches"
        f" {len(reached['ReviewerRole'] & iam_routes)} (review), the compliance role"
        f" {len(reached['ComplianceRole'] & iam_routes)} (audit), an administrator allowed"
        f" execute-api:Invoke on * 0, an unsigned caller 0; {refused} of"
        f" {len(principals) * len(iam_routes)} calls refused; the 2 provider routes open to all"
    )


def _authorization(body: dict[str, Any], operation: dict[str, Any]) -> str:
    """The authorizationType API Gateway gives a method imported from the API's OpenAPI body:
    that of the security scheme naming an authorizer, else NONE (an API key is no authorizer)."""
    schemes = body["components"]["securitySchemes"]
    kinds = {
        AUTHORIZATION_TYPES[schemes[name]["x-amazon-apigateway-authtype"]]
        for requirement in operation.get("security", [])
        for name in requirement
        if "x-amazon-apigateway-authtype" in schemes[name]
    }
    assert len(kinds) <= 1, kinds
    return kinds.pop() if kinds else "NONE"


def test_every_review_and_audit_route_is_served_with_iam_and_at_the_desk_with_a_desk_token(
    resources: dict[str, Any],
) -> None:
    # Given the API as SAM renders it, and the function each route integrates
    body = resources["ClearanceApi"]["Properties"]["Body"]
    paths = body["paths"]
    functions = _api_functions(resources)

    # Then each review and audit route is there twice: signed with IAM at /v1/..., and with the
    # desk's Cognito authorizer at /desk/v1/..., the two integrating the same function
    for method, path in IAM_ROUTES:
        iam, desk = paths[path][method.lower()], paths[DESK + path][method.lower()]
        assert iam["security"] == [{"AWS_IAM": []}], (method, path)
        assert _authorization(body, iam) == "AWS_IAM", (method, path)
        assert desk["security"] == [{DESK_AUTHORIZER: []}], (method, DESK + path)
        assert _authorization(body, desk) == "COGNITO_USER_POOLS", (method, DESK + path)
        assert functions[(method, DESK + path)] == functions[(method, path)], (method, path)
    # And the review routes go to the review function, the audit routes to the audit review
    for route in ROLE_ROUTES["ReviewerRole"]:
        assert functions[route] == "ReviewFunction", route
    for route in ROLE_ROUTES["ComplianceRole"]:
        assert functions[route] == "AuditReviewFunction", route
    # And the API has no route but these and the providers'
    assert _api_routes(resources) == PROVIDER_ROUTES | IAM_ROUTES | DESK_ROUTES
    # And the desk's authorizer takes the desk pool's tokens from the Authorization header
    scheme = body["components"]["securitySchemes"][DESK_AUTHORIZER]
    assert (scheme["type"], scheme["name"], scheme["in"]) == ("apiKey", "Authorization", "header")
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [{"Fn::GetAtt": ["DeskUserPool", "Arn"]}],
    }


def test_no_review_or_audit_method_is_reachable_without_a_token_or_an_iam_signature(
    resources: dict[str, Any],
) -> None:
    # Given the authorization type of every method of the API (all of them in its OpenAPI body)
    body = resources["ClearanceApi"]["Properties"]["Body"]
    assert _of_type(resources, "AWS::ApiGateway::Method") == {}
    kinds = {
        (method.upper(), path): _authorization(body, operation)
        for path, methods in body["paths"].items()
        for method, operation in methods.items()
    }

    # Then no review or audit method is open: each needs IAM, or under /desk a desk token
    for route in IAM_ROUTES | DESK_ROUTES:
        assert kinds[route] != "NONE", route
    assert {route for route, kind in kinds.items() if kind == "AWS_IAM"} == IAM_ROUTES
    assert {route for route, kind in kinds.items() if kind == "COGNITO_USER_POOLS"} == DESK_ROUTES
    # And the only methods with no authorizer are the providers' HMAC-signed webhook and kill
    assert {route for route, kind in kinds.items() if kind == "NONE"} == PROVIDER_ROUTES


@pytest.mark.reliability
def test_api_resource_policy_opens_exactly_the_desk_routes_and_keeps_iam_routes_to_their_roles(
    resources: dict[str, Any], figure: Callable[[str], None]
) -> None:
    # Given the API's routes, and the resource policy's statements that allow anyone at all
    routes = _api_routes(resources)
    open_to_all = [
        statement
        for statement in _resource_policy(resources)
        if statement["Effect"] == "Allow"
        and statement["Principal"] == "*"
        and "Condition" not in statement
    ]

    # Then of the API's routes, they allow exactly the providers' and the desk's
    allowed = {
        route
        for route in routes
        if any(
            _matches(resource, f"execute-api:/dev/{_request(*route)}")
            for statement in open_to_all
            for resource in _as_list(statement["Resource"])
        )
    }
    assert allowed == PROVIDER_ROUTES | DESK_ROUTES
    # And no deny of the policy refuses a desk route to a person (no IAM principal): every one
    # is reached, and the desk's authorizer and the function decide on the token
    assert {route for route in DESK_ROUTES if _denied(resources, None, *route)} == set()
    assert {route for route in DESK_ROUTES if _reaches(resources, None, *route)} == DESK_ROUTES
    # And /v1/review* is still denied to every principal but ReviewerRole, and /v1/audit* to every
    # principal but ComplianceRole, whatever their own policies say
    principals = [REVIEWER, COMPLIANCE, ADMINISTRATOR, None]
    for role, own in ROLE_ROUTES.items():
        for principal in principals:
            denied = {route for route in own if _denied(resources, principal, *route)}
            assert denied == (set() if principal == ROLE_ARNS[role] else own), (role, principal)
    figure(
        f"the resource policy opens {len(DESK_ROUTES)} desk routes (to a desk token) and"
        f" {len(PROVIDER_ROUTES)} provider routes to anyone, and denies the"
        f" {len(ROLE_ROUTES['ReviewerRole'])} review routes to all but ReviewerRole and the"
        f" {len(ROLE_ROUTES['ComplianceRole'])} audit routes to all but ComplianceRole"
    )


@pytest.mark.parametrize("name", ["Reviewer", "Compliance"])
def test_role_is_assumed_by_the_named_principal_or_else_by_tagged_principals_of_the_account(
    translated: Template, resources: dict[str, Any], name: str
) -> None:
    role, parameter, condition = f"{name}Role", f"{name}PrincipalArn", f"Has{name}Principal"
    # Given the role's trust policy and the parameter naming who may assume it
    (trust,) = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    declared = translated["Parameters"][parameter]

    # Then it trusts the named principal, or with none the account's principals tagged for it
    assert (trust["Effect"], trust["Action"]) == ("Allow", "sts:AssumeRole")
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert trust["Principal"] == {"AWS": {"Fn::If": [condition, {"Ref": parameter}, root]}}
    tagged = {"StringEquals": {"aws:PrincipalTag/clearance-role": name.lower()}}
    assert trust["Condition"] == {"Fn::If": [condition, {"Ref": "AWS::NoValue"}, tagged]}
    assert translated["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]
    }
    # And the parameter takes a role or user ARN or nothing, never a wildcard or the root
    assert declared["Default"] == ""
    pattern = declared["AllowedPattern"]
    for good in ("", "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/Reviewers"):
        assert re.fullmatch(pattern, good), good
    for bad in ("*", "arn:aws:iam::123456789012:root", "arn:aws:iam::*:role/x"):
        assert not re.fullmatch(pattern, bad), bad


def test_outputs_name_the_roles_and_the_providers_usage_plan(translated: Template) -> None:
    outputs = translated["Outputs"]

    assert outputs["ReviewerRoleArn"]["Value"] == {"Fn::GetAtt": ["ReviewerRole", "Arn"]}
    assert outputs["ComplianceRoleArn"]["Value"] == {"Fn::GetAtt": ["ComplianceRole", "Arn"]}
    assert outputs["ProviderUsagePlanId"]["Value"] == {"Ref": "ProviderUsagePlan"}
    assert outputs["MenafnApiKeyId"]["Value"] == {"Ref": "MenafnApiKey"}


def _kill_budgets(resources: dict[str, Any]) -> tuple[dict[str, int], dict[str, Any]]:
    """The kill route's budget per API key (the usage plan's) and its ceiling (the stage's)."""
    (plan,) = _of_type(resources, "AWS::ApiGateway::UsagePlan").values()
    (stage,) = plan["Properties"]["ApiStages"]
    (stage_name,) = _of_type(resources, "AWS::ApiGateway::Stage")
    assert (stage["ApiId"], stage["Stage"]) == ({"Ref": "ClearanceApi"}, {"Ref": stage_name})
    per_key: dict[str, int] = stage["Throttle"][f"{KILL_PATH}/POST"]
    return per_key, _throttle(resources, KILL_PATH, "post")


@pytest.mark.reliability
def test_each_providers_kills_have_a_budget_that_no_other_caller_can_spend(
    resources: dict[str, Any], figure: Callable[[str], None]
) -> None:
    # Given the kill route, the providers' usage plan and the providers with terms
    body = resources["ClearanceApi"]["Properties"]["Body"]
    per_key, ceiling = _kill_budgets(resources)
    loaded = PolicySet.load()
    providers = len(set(loaded.policies) | set(loaded.broken))

    # Then a kill needs a known API key (x-api-key), refused before any budget is spent
    assert body["paths"][KILL_PATH]["post"]["security"] == [{"api_key": []}]
    scheme = body["components"]["securitySchemes"]["api_key"]
    assert (scheme["type"], scheme["name"], scheme["in"]) == ("apiKey", "x-api-key", "header")
    # And each key has its own kill budget, which API Gateway spends before the route's
    assert 0 < per_key["RateLimit"] <= per_key["BurstLimit"]
    # And the route's budget is only a ceiling: every provider's own budget fits in it at once
    capacity = min(
        ceiling["ThrottlingRateLimit"] // per_key["RateLimit"],
        ceiling["ThrottlingBurstLimit"] // per_key["BurstLimit"],
    )
    assert capacity >= providers, "raise the kill route's ceiling: it no longer holds every budget"
    # And the kill function has an instance for every kill the ceiling lets through at once
    reserved = resources["KillFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved >= ceiling["ThrottlingBurstLimit"]
    # And the webhook's contract is unchanged: signed, no key
    assert "security" not in body["paths"][WEBHOOK_PATH]["post"]
    # And the example provider's key is in the plan
    (plan_key,) = _of_type(resources, "AWS::ApiGateway::UsagePlanKey").values()
    assert plan_key["Properties"] == {
        "KeyId": {"Ref": "MenafnApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "ProviderUsagePlan"},
    }
    figure(
        f"kills: {per_key['RateLimit']}/s (burst {per_key['BurstLimit']}) per provider's API key,"
        f" spent before a route ceiling of {ceiling['ThrottlingRateLimit']}/s (burst"
        f" {ceiling['ThrottlingBurstLimit']}) that holds {capacity} providers' budgets at once"
        f" ({providers} have terms); {reserved} kill instances reserved; a request without a"
        " known key is refused 403 before any budget"
    )


def test_the_local_gateway_guards_each_route_as_the_template_does(
    resources: dict[str, Any],
) -> None:
    # Given the template's routes and the local gateway's
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    per_key, ceiling = _kill_budgets(resources)
    local = {route.template: route for route in ROUTES}

    # Then they are the same routes, needing IAM signatures, desk tokens and API keys alike
    # (a local route serves every method of its path)
    assert set(local) == set(paths)
    for path, methods in paths.items():
        for method, operation in methods.items():
            security = operation.get("security", [])
            assert local[path].iam == ({"AWS_IAM": []} in security), (method, path)
            assert local[path].people == ({DESK_AUTHORIZER: []} in security), (method, path)
            assert local[path].api_key == ({"api_key": []} in security), (method, path)
    # And each local desk route is an IAM route's twin under /desk, running the same function
    desk = {route.template: route for route in ROUTES if route.people}
    assert set(desk) == {DESK + route.template for route in ROUTES if route.iam}
    for template, route in desk.items():
        twin = local[template.removeprefix(DESK)]
        assert (route.handler, route.function_name) == (twin.handler, twin.function_name)
        assert (route.iam, route.api_key) == (False, False), template
    # And the kill route has the template's budgets: per key, then the route's ceiling
    kill = local[KILL_PATH]
    assert kill.key_throttle == Throttle(per_key["RateLimit"], per_key["BurstLimit"])
    assert kill.throttle == Throttle(
        ceiling["ThrottlingRateLimit"], ceiling["ThrottlingBurstLimit"]
    )


def test_the_gateways_own_refusals_are_the_functions_error_body_locally_and_deployed(
    resources: dict[str, Any],
) -> None:
    # Given the API's gateway responses
    responses = resources["ClearanceApi"]["Properties"]["Body"][
        "x-amazon-apigateway-gateway-responses"
    ]

    # Then each is the functions' error body, with a code and a message
    for kind, response in responses.items():
        error = json.loads(response["responseTemplates"]["application/json"])["error"]
        assert set(error) == {"code", "message"}, kind
    # And the local gateway answers a missing key and an empty budget with the same bytes
    invalid, throttled = responses["INVALID_API_KEY"], responses["THROTTLED"]
    assert invalid["statusCode"] == "403"
    assert invalid["responseTemplates"]["application/json"].encode() == INVALID_API_KEY
    assert throttled["statusCode"] == "429"
    assert throttled["responseTemplates"]["application/json"].encode() == THROTTLED
    retry = throttled["responseParameters"]["gatewayresponse.header.Retry-After"]
    assert retry == f"'{RETRY_AFTER_SECONDS}'"
    assert responses["ACCESS_DENIED"]["statusCode"] == "403"


# ------------------------------------------------------- the desk: its people and its console

COGNITO_ORIGIN = "https://cognito-idp.${AWS::Region}.amazonaws.com"
"""Where the console signs people in: the stack's region's Cognito endpoint."""
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
"""CloudFront's managed cache policy CachingDisabled."""


def test_desk_user_pool_admits_only_people_an_administrator_adds_with_long_passwords(
    resources: dict[str, Any],
) -> None:
    # Given the stack's one user pool
    assert set(_of_type(resources, "AWS::Cognito::UserPool")) == {"DeskUserPool"}
    pool = resources["DeskUserPool"]["Properties"]

    # Then no one signs up: an administrator adds each person
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # And a password has at least 14 characters
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 14


def test_console_client_signs_in_with_a_password_has_no_secret_and_reads_the_email(
    resources: dict[str, Any],
) -> None:
    # Given the pool's one app client, the console's
    assert set(_of_type(resources, "AWS::Cognito::UserPoolClient")) == {"DeskConsoleClient"}
    client = resources["DeskConsoleClient"]["Properties"]

    # Then it is the desk pool's, has no secret (a browser cannot keep one), signs in with a
    # password (over TLS, to Cognito), and may read the e-mail the record names a person by
    assert client["UserPoolId"] == {"Ref": "DeskUserPool"}
    assert client.get("GenerateSecret", False) is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert "email" in client["ReadAttributes"]
    # And the two functions behind the desk routes, and only they, accept its tokens alone
    accepting = {
        function: variables["DESK_CLIENT_ID"]
        for function in FUNCTIONS
        if "DESK_CLIENT_ID"
        in (variables := resources[function]["Properties"]["Environment"]["Variables"])
    }
    assert accepting == {
        "ReviewFunction": {"Ref": "DeskConsoleClient"},
        "AuditReviewFunction": {"Ref": "DeskConsoleClient"},
    }


def test_desk_groups_are_exactly_the_reviewers_and_compliance_groups_the_functions_know(
    resources: dict[str, Any],
) -> None:
    # Given the stack's user pool groups
    groups = [
        body["Properties"] for body in _of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    ]

    # Then they are the desk pool's, named as clearance.handlers.callers reads them
    assert sorted(group["GroupName"] for group in groups) == sorted(Group)
    assert all(group["UserPoolId"] == {"Ref": "DeskUserPool"} for group in groups)


def test_the_local_desk_is_made_as_the_template_makes_it(
    resources: dict[str, Any], aws: None
) -> None:
    # Given the template's pool, client and groups
    pool = resources["DeskUserPool"]["Properties"]
    client = resources["DeskConsoleClient"]["Properties"]
    groups = {
        body["Properties"]["GroupName"]
        for body in _of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    }

    # When the local stack makes its desk in moto
    cognito = boto3.client("cognito-idp")
    desk = create_desk(cognito, "clearance-desk")

    # Then its pool admits only people an administrator adds, under the template's password policy
    local_pool = cognito.describe_user_pool(UserPoolId=desk.pool_id)["UserPool"]
    assert local_pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly") is True
    local_policy = local_pool.get("Policies", {}).get("PasswordPolicy", {})
    for setting in (
        "MinimumLength",
        "RequireLowercase",
        "RequireUppercase",
        "RequireNumbers",
        "RequireSymbols",
    ):
        assert local_policy.get(setting) == pool["Policies"]["PasswordPolicy"][setting], setting
    # And it has the template's groups, and its people are in them
    listed = cognito.list_groups(UserPoolId=desk.pool_id)["Groups"]
    assert {group["GroupName"] for group in listed} == groups
    assert {person.group for person in desk.people} == groups
    # And the console's client signs in with the template's flows, reads what it reads, and
    # has no secret
    local_client = cognito.describe_user_pool_client(
        UserPoolId=desk.pool_id, ClientId=desk.client_id
    )["UserPoolClient"]
    assert set(local_client.get("ExplicitAuthFlows", [])) == set(client["ExplicitAuthFlows"])
    assert set(local_client.get("ReadAttributes", [])) == set(client["ReadAttributes"])
    assert "ClientSecret" not in local_client


def test_console_bucket_is_private_and_read_only_by_this_stacks_distribution(
    resources: dict[str, Any],
) -> None:
    # Given the console bucket and the policies attached to it
    properties = resources["ConsoleBucket"]["Properties"]
    statements = [
        statement
        for body in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if body["Properties"]["Bucket"] == {"Ref": "ConsoleBucket"}
        for statement in _policy_statements(body)
    ]

    # Then it blocks every kind of public access, and logs to the access-log bucket
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "AccessLogBucket"},
        "LogFilePrefix": "console/",
    }
    # And its one allow lets CloudFront get the console's files, for this distribution alone
    (allow,) = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert _as_list(allow["Action"]) == ["s3:GetObject"]
    assert [_text(r) for r in _as_list(allow["Resource"])] == ["${ConsoleBucket.Arn}/console/*"]
    ((operator, condition),) = allow["Condition"].items()
    ((key, source),) = condition.items()
    assert (operator, key.lower()) == ("StringEquals", "aws:sourcearn")
    assert _text(source) == (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"
    )
    # And no role may touch it
    touching = [
        name
        for name, statement in _identity_statements(resources)
        if any(
            _touches_bucket(_text(r), resources, "ConsoleBucket")
            for r in _as_list(statement.get("Resource", []))
        )
    ]
    assert touching == []
    # And the distribution reads it with signed requests (origin access control)
    origins = {
        origin["Id"]: origin
        for origin in resources["ConsoleDistribution"]["Properties"]["DistributionConfig"][
            "Origins"
        ]
    }
    assert origins["console"]["DomainName"] == {
        "Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]
    }
    assert origins["console"]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]
    }
    access = resources["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (
        access["OriginAccessControlOriginType"],
        access["SigningBehavior"],
        access["SigningProtocol"],
    ) == ("s3", "always", "sigv4")


def test_console_distribution_answers_only_over_https_always_with_the_console_headers(
    resources: dict[str, Any],
) -> None:
    # Given the distribution's cache behaviours and origins
    config = resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    origins = {origin["Id"]: origin for origin in config["Origins"]}

    # Then every behaviour refuses plain HTTP and adds the console's response headers
    for behaviour in behaviours:
        target = behaviour.get("PathPattern", "default")
        assert behaviour["ViewerProtocolPolicy"] == "https-only", target
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleResponseHeaders"}, target
    # And the API is reached only under /desk/*, over TLS 1.2, and never answered from a cache
    api = [behaviour for behaviour in behaviours if behaviour["TargetOriginId"] == "api"]
    assert [behaviour["PathPattern"] for behaviour in api] == [DESK + "/*"]
    assert api[0]["CachePolicyId"] == CACHING_DISABLED
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["api"]["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    # And it answers on CloudFront's own certificate (the TLS floor .checkov.yaml explains)
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def _rendered_security_headers(config: dict[str, Any]) -> dict[str, str]:
    """The headers a CloudFront response headers policy's SecurityHeadersConfig adds, as sent;
    a setting not rendered here fails the check rather than going unchecked."""
    rendered: dict[str, str] = {}
    for name, setting in config.items():
        assert setting.get("Override") is True, name
        if name == "ContentSecurityPolicy":
            rendered["Content-Security-Policy"] = _text(setting["ContentSecurityPolicy"])
        elif name == "StrictTransportSecurity":
            value = f"max-age={setting['AccessControlMaxAgeSec']}"
            value += "; includeSubDomains" if setting.get("IncludeSubdomains") else ""
            value += "; preload" if setting.get("Preload") else ""
            rendered["Strict-Transport-Security"] = value
        elif name == "ContentTypeOptions":
            rendered["X-Content-Type-Options"] = "nosniff"
        elif name == "FrameOptions":
            rendered["X-Frame-Options"] = setting["FrameOption"]
        elif name == "ReferrerPolicy":
            rendered["Referrer-Policy"] = setting["ReferrerPolicy"]
        else:
            pytest.fail(f"{name} is not rendered here")
    return rendered


def test_console_headers_are_the_local_consoles_with_no_inline_script(
    resources: dict[str, Any],
) -> None:
    # Given the distribution's response headers policy, as the headers it adds
    policy = resources["ConsoleResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert set(policy) - {"Name", "Comment"} == {"SecurityHeadersConfig"}
    headers = _rendered_security_headers(policy["SecurityHeadersConfig"])
    csp = headers["Content-Security-Policy"]

    # Then its content security policy is the one the local console sends
    assert csp == content_security_policy(COGNITO_ORIGIN)
    # And it allows no inline script or style, and scripts from the console's own files only
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    directives = {directive.split()[0]: directive.split()[1:] for directive in csp.split("; ")}
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # And its other headers are the local console's too: HSTS for two years with subdomains,
    # nosniff, no framing, no referrer
    assert headers == dict(security_headers(COGNITO_ORIGIN))
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_outputs_name_the_console_and_the_desks_pool_and_client(translated: Template) -> None:
    outputs = translated["Outputs"]

    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["DeskUserPoolId"]["Value"] == {"Ref": "DeskUserPool"}
    assert outputs["DeskConsoleClientId"]["Value"] == {"Ref": "DeskConsoleClient"}
    assert (
        _text(outputs["ConsoleUrl"]["Value"])
        == "https://${ConsoleDistribution.DomainName}/console/"
    )


# ------------------------------------------- the key layout's prefixes, as the policies grant them

READ, READ_VERSION = "s3:GetObject", "s3:GetObjectVersion"
WRITE, REMOVE = "s3:PutObject", "s3:DeleteObject"
REDECIDE = {("InboundBucket", keys.INBOUND): {READ, READ_VERSION}}
"""A state function that decides a held version again reads the delivery the state names."""
CARRY_OUT = {
    ("ClearedBucket", keys.CLEARED): {READ, WRITE, REMOVE},
    ("ClearedBucket", keys.TOMBSTONES): {WRITE},
    ("AuditBucket", keys.DECISIONS): {WRITE},
    ("AuditBucket", keys.ARTICLE_POINTERS): {WRITE},
    ("AuditBucket", keys.POLICIES): {WRITE},
}
"""What every state function writes and removes to carry out an article's transition."""
KEY_PREFIXES: dict[str, dict[tuple[str, str], set[str]]] = {
    "WebhookFunction": {
        ("InboundBucket", keys.INBOUND): {WRITE, READ},
        ("InboundBucket", keys.RECEIPTS): {WRITE, READ},
    },
    "ProcessorFunction": {
        **REDECIDE,
        **CARRY_OUT,
        ("QuarantineBucket", keys.QUARANTINE): {READ, WRITE},
        ("AuditBucket", keys.DECISIONS): {READ, WRITE},
        ("AuditBucket", keys.ARTICLE_POINTERS): {READ, WRITE},
        ("AuditBucket", keys.POLICIES): {READ, WRITE},
    },
    "LifecycleFunction": {**REDECIDE, **CARRY_OUT},
    "KillFunction": CARRY_OUT,
    "ReviewFunction": {**REDECIDE, **CARRY_OUT},
    "AuditReviewFunction": {("AuditBucket", keys.AUDIT): {READ}},
    "AuditDigestFunction": {
        ("AuditBucket", keys.AUDIT): {READ},
        ("AuditBucket", keys.DIGESTS): {WRITE},
        ("AuditBucket", keys.SEGMENTS): {WRITE},
    },
    "FeedPollerFunction": {("InboundBucket", keys.INBOUND): {WRITE}},
}
"""Per function, each part of the key layout (`contracts/keys.py`) it reads, writes or removes
under, in which bucket, and the object actions that takes. moto enforces no IAM, so only this
table stands between a key-layout change and functions that are refused on AWS."""


def _object_grants(resources: dict[str, Any], function: str) -> dict[str, set[str]]:
    """Per S3 object ARN (`<bucket ARN>/<prefix>*`) a function's role names: the actions on it."""
    grants: dict[str, set[str]] = {}
    for actions, targets in _allowed(resources, _role_of(resources, function)):
        for target in targets:
            if target.startswith("arn:${AWS::Partition}:s3:::") and "/" in target:
                grants.setdefault(target, set()).update(actions)
    return grants


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_may_touch_exactly_the_key_prefixes_it_uses(
    resources: dict[str, Any], function: str
) -> None:
    # Given the prefixes of the key layout the function reads and writes under
    expected = {
        _objects(resources, bucket, prefix): actions
        for (bucket, prefix), actions in KEY_PREFIXES[function].items()
    }

    # When its role's S3 object permissions are read from the template
    granted = _object_grants(resources, function)

    # Then each is granted on exactly the prefix contracts/keys.py builds, and nothing else is
    assert granted == expected


def test_every_prefix_of_the_key_layout_is_granted_where_it_is_used() -> None:
    # Given every prefix contracts/keys.py lays keys under
    prefixes = {
        value
        for name, value in vars(keys).items()
        if name.isupper() and isinstance(value, str) and value.endswith("/")
    }

    # Then each is in the table the policies are checked against: a new part of the layout
    # cannot be used before some function's policy grants it
    used = {prefix for granted in KEY_PREFIXES.values() for _, prefix in granted}
    assert used == prefixes


# ------------------------------------------------ the local stack, as the template declares it

API_INTEGRATION_SECONDS = 29
"""API Gateway's integration timeout: the template leaves it at its default, which is its most."""


@dataclass(frozen=True)
class _Invocation:
    """A handler called locally: whose module it is, and what the request and context said."""

    handler_of: str
    method: str
    resource: str
    function_name: str
    timeout_seconds: int
    memory_mb: int


@pytest.fixture
def invocations(resources: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[_Invocation]:
    """Every function's handler module, as the template names it, replaced by one that notes
    each invocation and answers 200."""
    noted: list[_Invocation] = []
    for function in FUNCTIONS:
        module_name, attribute = resources[function]["Properties"]["Handler"].rsplit(".", 1)

        def handler(
            event: dict[str, Any], context: Any, of: str = function, **_: Any
        ) -> dict[str, Any]:
            left = context.get_remaining_time_in_millis()
            noted.append(
                _Invocation(
                    of,
                    event.get("httpMethod", ""),
                    event.get("resource", ""),
                    context.function_name,
                    math.ceil(left / 1000),
                    context.memory_limit_in_mb,
                )
            )
            return {"statusCode": 200, "headers": {}, "body": "", "digests": []}

        module = types.ModuleType(module_name)
        setattr(module, attribute, handler)
        monkeypatch.setitem(sys.modules, module_name, module)
        package, _, name = module_name.rpartition(".")
        monkeypatch.setattr(importlib.import_module(package), name, module, raising=False)
    return noted


def _api_functions(resources: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The function each route of the API integrates, by (method, path)."""
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    return {
        (method.upper(), path): function
        for path, methods in paths.items()
        for method, operation in methods.items()
        for function in re.findall(r"\$\{(\w+)\.Arn\}", _integration_uri(operation))
    }


def _declared(resources: dict[str, Any], function: str) -> tuple[str, str, int, int]:
    """What the template says a function's context holds: its name, timeout and memory."""
    properties = resources[function]["Properties"]
    return function, function, int(properties["Timeout"]), int(properties["MemorySize"])


def _handler(resources: dict[str, Any], function: str) -> str:
    handler: str = resources[function]["Properties"]["Handler"]
    return handler


def _answer_locally(
    port: int, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """The local gateway's status and body for one call of a route (with an API key, which
    only the kill route asks for)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        target = _PATH_PARAMETER.sub("id-1", path)
        sent = {API_KEY_HEADER: development_api_key("dpa"), **(headers or {})}
        connection.request(method, target, b"{}", sent)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _request_locally(port: int, method: str, path: str) -> int:
    """One call of a route, as its caller makes it: under /desk with a token."""
    token = {"Authorization": "a-desk-id-token"} if path.startswith(DESK + "/") else {}
    status, _ = _answer_locally(port, method, path, token)
    return status


class _EveryToken(TokenCheck):
    """The local Cognito authorizer, taking any token as a reviewer's: the routes are under test
    here, not the tokens (the end-to-end tests sign in to the local pool)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "eu-west-2_desk")

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        if not authorization:
            return None
        return {"cognito:username": "rita.reviewer", "cognito:groups": "reviewers"}


@contextlib.contextmanager
def _local_gateway(token_check: TokenCheck | None) -> Iterator[Gateway]:
    """The local gateway, serving on a free port, with the desk's token check given."""
    server = Gateway("127.0.0.1", 0)
    server.token_check = token_check
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        serving.join()


def test_local_stack_gives_each_function_the_templates_timeout_and_memory(
    resources: dict[str, Any],
) -> None:
    # When the local stack makes the context of each of the template's functions
    contexts = {function: local_context(function) for function in LIMITS}

    # Then it says what Lambda's would: the function, its Timeout and its MemorySize
    local = {
        function: (
            function,
            context.function_name,
            math.ceil(context.get_remaining_time_in_millis() / 1000),
            context.memory_limit_in_mb,
        )
        for function, context in contexts.items()
    }
    assert local == {function: _declared(resources, function) for function in FUNCTIONS}


def test_local_gateway_runs_each_route_of_the_template_as_api_gateway_does(
    resources: dict[str, Any], invocations: list[_Invocation]
) -> None:
    # Given the template's routes: a method and a path, and the function it integrates
    routes = _api_functions(resources)
    assert set(routes) == PROVIDER_ROUTES | IAM_ROUTES | DESK_ROUTES
    assert len(routes) == 16

    # When each is requested of the local gateway (a desk route with a token it accepts)
    with _local_gateway(_EveryToken()) as server:
        statuses = {route: _request_locally(server.port, *route) for route in routes}

    # Then each reaches the template's function with the template's timeout and memory
    assert set(statuses.values()) == {200}
    local = {
        (call.method, call.resource): (
            call.handler_of,
            call.function_name,
            call.timeout_seconds,
            call.memory_mb,
        )
        for call in invocations
    }
    assert local == {route: _declared(resources, function) for route, function in routes.items()}


def test_a_desk_route_without_a_valid_token_is_refused_401_with_the_same_bytes_locally_and_deployed(
    resources: dict[str, Any], invocations: list[_Invocation]
) -> None:
    # Given the API's answer to a missing, expired or foreign token on a Cognito route
    responses = resources["ClearanceApi"]["Properties"]["Body"][
        "x-amazon-apigateway-gateway-responses"
    ]
    unauthorized = responses["UNAUTHORIZED"]

    # Then it is a 401 with the local gateway's bytes for the same refusal
    assert unauthorized["statusCode"] == "401"
    assert unauthorized["responseTemplates"]["application/json"].encode() == UNAUTHORIZED

    # When every desk route is called locally without a token, before the local pool exists
    # and once it does
    answers = set()
    for token_check in (None, TokenCheck("http://127.0.0.1:9", "eu-west-2_desk")):
        with _local_gateway(token_check) as server:
            answers |= {_answer_locally(server.port, *route) for route in DESK_ROUTES}

    # Then each is refused with those bytes, and no function runs
    assert answers == {(401, UNAUTHORIZED)}
    assert invocations == []


def test_local_gateway_gives_a_request_the_apis_integration_timeout(
    resources: dict[str, Any],
) -> None:
    # Given the integration of every route of the API
    paths = resources["ClearanceApi"]["Properties"]["Body"]["paths"]
    integrations = [
        operation["x-amazon-apigateway-integration"]
        for methods in paths.values()
        for operation in methods.values()
    ]

    # Then each keeps API Gateway's 29 s, and every function behind a route ends within it
    assert {i.get("timeoutInMillis", 29_000) for i in integrations} == {29_000}
    for function in set(_api_functions(resources).values()):
        assert int(resources[function]["Properties"]["Timeout"]) <= API_INTEGRATION_SECONDS
    # And the local gateway gives a request as long to arrive whole, and no longer
    assert REQUEST_SECONDS == API_INTEGRATION_SECONDS


def test_local_queue_and_schedules_run_the_templates_functions_as_deployed(
    resources: dict[str, Any], invocations: list[_Invocation], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the processor's queue and its mapping, and the lifecycle sweep's and feed poller's
    # schedules
    queue = resources["InboundQueue"]["Properties"]
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    (sweep,) = _rules_invoking(resources, "LifecycleFunction")
    (polls,) = _rules_invoking(resources, "FeedPollerFunction")

    # Then the local queue hides, retries and batches messages as the deployed one does
    assert int(queue["VisibilityTimeout"]) == VISIBILITY_TIMEOUT
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == MAX_RECEIVE_COUNT
    assert int(mapping["Properties"]["BatchSize"]) == BATCH_SIZE
    # And its dispatcher runs the processor's handler, with the processor's timeout
    assert mapping["Properties"]["FunctionName"] == {"Ref": PROCESSOR.function_name}
    assert PROCESSOR.handler.replace(":", ".") == _handler(resources, PROCESSOR.function_name)
    assert local_context(PROCESSOR.function_name).get_remaining_time_in_millis() <= (
        _declared(resources, PROCESSOR.function_name)[2] * 1000
    )
    assert (
        LIMITS[PROCESSOR.function_name].timeout_seconds
        == (_declared(resources, PROCESSOR.function_name)[2])
    )
    # And the sweep and the feed poller run as often as the deployed schedules
    assert sweep["ScheduleExpression"] == "rate(1 minute)"
    assert LIFECYCLE_EVERY_SECONDS == 60
    assert polls["ScheduleExpression"] == "rate(1 minute)"
    assert FEEDS_EVERY_SECONDS == 60

    # When the local schedules run the sweep, the feed poller (its environment set, its AWS
    # collaborators left unmade) and the digest job
    for name, value in Names().environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(wiring, "build_poller", lambda config, limits: None)
    Schedules().run_lifecycle()
    Schedules().run_feeds()
    Schedules().run_digest()

    # Then each is the template's function, with its timeout and memory
    local = [
        (call.handler_of, call.function_name, call.timeout_seconds, call.memory_mb)
        for call in invocations
    ]
    assert local == [
        _declared(resources, "LifecycleFunction"),
        _declared(resources, "FeedPollerFunction"),
        _declared(resources, "AuditDigestFunction"),
    ]


# ------------------------------------------------------------------ checkov


def _checkov_failures(template: Path, cwd: Path) -> set[str]:
    """The check ids checkov fails on one template, with nothing suppressed."""
    run = subprocess.run(
        [
            *(str(CHECKOV), "--framework", "cloudformation", "--skip-download", "--quiet"),
            *("--output", "json", "--file", str(template)),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    reports = json.loads(run.stdout)
    failed = [
        check["check_id"]
        for report in _as_list(reports)
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    return set(failed)


def _suppressions() -> dict[str, str]:
    """Each check .checkov.yaml skips, with the comment just above it (its justification)."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif stripped.startswith("- CKV"):
            found[stripped[2:]] = " ".join(comment)
            comment = []
        else:
            comment = []
    listed = yaml_parse(CHECKOV_CONFIG.read_text(encoding="utf-8"))["skip-check"]
    assert sorted(found) == sorted(listed)
    return found


@pytest.mark.reliability
@pytest.mark.skipif(not CHECKOV.is_file(), reason=f"checkov is not installed at {CHECKOV}")
def test_checkov_fails_nothing_that_checkov_yaml_does_not_justify(
    translated: Template, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    # Given the template and its SAM translation, checked with nothing suppressed
    translation = tmp_path / "translated.json"
    translation.write_text(json.dumps(translated), encoding="utf-8")
    failed = {
        "template": _checkov_failures(TEMPLATE, tmp_path),
        "translation": _checkov_failures(translation, tmp_path),
    }
    suppressed = _suppressions()

    # Then every failed check is skipped in .checkov.yaml, with a reason written above it
    assert set().union(*failed.values()) - set(suppressed) == set()
    assert all(len(reason) > 40 for reason in suppressed.values())
    # And nothing is skipped that would pass: each skip is still needed
    assert set(suppressed) - set().union(*failed.values()) == set()
    figure(
        f"checkov: {len(failed['template'])} checks failed on the template and"
        f" {len(failed['translation'])} on its translation, all {len(suppressed)} justified"
        " in .checkov.yaml; 0 unexplained"
    )

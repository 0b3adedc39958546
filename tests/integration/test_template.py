"""Offline checks of template.yaml: cfn-lint, SAM translation and what the stack allows."""

from __future__ import annotations

import copy
import graphlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

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

BUCKETS = ("InboundBucket", "ClearedBucket", "QuarantineBucket", "AuditBucket")
BUCKET_VARIABLES = {
    "WebhookFunction": {"INBOUND_BUCKET": "InboundBucket"},
    "ProcessorFunction": {
        "INBOUND_BUCKET": "InboundBucket",
        "CLEARED_BUCKET": "ClearedBucket",
        "QUARANTINE_BUCKET": "QuarantineBucket",
        "AUDIT_BUCKET": "AuditBucket",
    },
}
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
    documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
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


def _find_cycle(resources: dict[str, Any]) -> list[str] | None:
    try:
        tuple(graphlib.TopologicalSorter(_dependency_graph(resources)).static_order())
    except graphlib.CycleError as error:
        cycle: list[str] = error.args[1]
        return cycle
    return None


# ------------------------------------------------------------------ linting


def test_template_passes_cfn_lint() -> None:
    # Given the SAM template as written
    text = TEMPLATE.read_text(encoding="utf-8")

    # When cfn-lint checks it (which also lints its SAM translation)
    problems = _lint_problems(text)

    # Then it reports no error and no warning
    assert problems == [], "\n".join(problems)


def test_translated_template_passes_cfn_lint(translated: Template) -> None:
    # Given the template as the SAM translator expands it, offline
    text = json.dumps(translated)

    # When cfn-lint checks the plain CloudFormation
    problems = _lint_problems(text)

    # Then it reports no error and no warning
    assert problems == [], "\n".join(problems)


def test_translation_produces_both_functions_and_their_roles(resources: dict[str, Any]) -> None:
    functions = _of_type(resources, "AWS::Lambda::Function")

    assert set(functions) == {"WebhookFunction", "ProcessorFunction"}
    for function in functions:
        assert resources[_role_of(resources, function)]["Type"] == "AWS::IAM::Role"


# ---------------------------------------------------------- least privilege


def test_no_identity_policy_allows_a_wildcard_action_or_every_resource(
    resources: dict[str, Any],
) -> None:
    # Given every statement of every role and identity policy
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
    }

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


def test_processor_only_reads_inbound_objects(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "ProcessorFunction")
    inbound_objects = _bucket_arn(resources, "InboundBucket") + "/inbound/*"

    for actions, targets in _allowed(resources, role):
        if any(_touches_bucket(t, resources, "InboundBucket") for t in targets):
            assert targets == [inbound_objects]
            assert actions <= {"s3:GetObject", "s3:GetObjectVersion"}


def test_processor_may_delete_only_cleared_copies(resources: dict[str, Any]) -> None:
    role = _role_of(resources, "ProcessorFunction")
    cleared_objects = _bucket_arn(resources, "ClearedBucket") + "/*"

    for actions, targets in _allowed(resources, role):
        deletes = {action for action in actions if action.startswith("s3:Delete")}
        if deletes:
            assert deletes == {"s3:DeleteObject"}
            assert targets == [cleared_objects]


def test_webhook_only_puts_objects_under_inbound_and_receipts(resources: dict[str, Any]) -> None:
    # Given the webhook's S3 permissions
    role = _role_of(resources, "WebhookFunction")
    inbound_objects = _bucket_arn(resources, "InboundBucket") + "/inbound/*"
    receipts = _bucket_arn(resources, "InboundBucket") + "/receipts/*"
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
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "inbound/"}]}},
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


@pytest.mark.parametrize("function", ["WebhookFunction", "ProcessorFunction"])
def test_function_runs_python311_on_arm64_with_active_tracing(
    resources: dict[str, Any], function: str
) -> None:
    properties = resources[function]["Properties"]

    assert properties["Runtime"] == "python3.11"
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "clearance"


def test_every_lambda_function_is_python311_on_arm64(resources: dict[str, Any]) -> None:
    for properties in (
        body["Properties"] for body in _of_type(resources, "AWS::Lambda::Function").values()
    ):
        assert properties["Runtime"] == "python3.11"
        assert properties["Architectures"] == ["arm64"]


@pytest.mark.parametrize("function", ["WebhookFunction", "ProcessorFunction"])
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
    api = resources["ClearanceApi"]["Properties"]["Body"]

    assert list(api["paths"]) == ["/v1/providers/{provider}/articles"]
    assert set(api["paths"]["/v1/providers/{provider}/articles"]) == {"post"}
    assert len(permissions) == 1
    assert permissions[0]["Principal"] == "apigateway.amazonaws.com"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("function", ["WebhookFunction", "ProcessorFunction"])
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

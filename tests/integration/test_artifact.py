"""The deployment artifact, built as `sam build` builds it (BuildMethod: makefile), works alone.

The artifact is built for this machine's platform (LAMBDA_PIP_PLATFORM empty) so its handlers
can be imported and run here, with nothing but the artifact and the standard library on the path,
in the environment `template.yaml` gives each function. Every function's build target runs one
recipe, so the artifact built once is each function's; the functions that need AWS at once (the
sweep, the held list, the digest job, the feed poller) run against a moto server in a process of
its own.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from samtranslator.yaml_helper import yaml_parse

from clearance.contracts import keys
from clearance.local.resources import (
    Names,
    create_buckets,
    create_signing_key,
    create_state_table,
    create_subscriptions_table,
)
from tests.conftest import PROJECT

NAMES = Names()
TEMPLATE: dict[str, Any] = yaml_parse((PROJECT / "template.yaml").read_text(encoding="utf-8"))
FUNCTIONS = sorted(
    name
    for name, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
)
UNCHECKED_HASH = 0b01
"""A PEP 552 bytecode header's flags: hash-based, the source not checked at import."""
LEFT_OUT = ("cli", "local")
"""Wings no function runs: the command line, and the one-machine stack (moto and all)."""

RUN_HANDLER = """
import json, sys
from clearance.contracts import schemas
from {module} import {attribute} as handler

class Context:
    function_name = "{function}"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:{function}"
    aws_request_id = "artifact-test"

event = json.load(open(sys.argv[1]))
print(json.dumps({{"schemas": str(schemas.schema_dir()), "response": handler(event, Context())}}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artifact")
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "build-ProcessorFunction",
            f"ARTIFACTS_DIR={out}",
            "LAMBDA_PIP_PLATFORM=",
            f"PYTHON={sys.executable}",
        ],
        cwd=PROJECT,
        check=True,
        timeout=600,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[str, str]]:
    """A moto server in a process of its own, holding the template's buckets, state and
    subscriptions tables and digest key; its URL and the key's id."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        session = boto3.Session(
            aws_access_key_id="artifact", aws_secret_access_key="artifact", region_name="us-east-1"
        )
        create_buckets(session.client("s3", endpoint_url=url), NAMES)
        create_state_table(session.client("dynamodb", endpoint_url=url), NAMES)
        create_subscriptions_table(session.client("dynamodb", endpoint_url=url), NAMES)
        key_id = create_signing_key(session.client("kms", endpoint_url=url))
        yield url, key_id
    finally:
        server.terminate()
        server.wait(timeout=10)


def _resolved(value: Any, key_id: str) -> str:
    """A template value as deployed here: the local names, the parameters' defaults."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name == "DigestSigningKey":
            return key_id
        if name == "DeskConsoleClient":
            return "artifact-console-client"
        return str(TEMPLATE["Parameters"][name]["Default"])
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text = str(value["Fn::Sub"])
        for name, replacement in {
            "AWS::StackName": NAMES.stack,
            "AWS::AccountId": NAMES.account,
            "AWS::Region": NAMES.region,
            "Stage": NAMES.stage,
        }.items():
            text = text.replace("${" + name + "}", replacement)
        return text
    return str(value)


def environment_of(function: str, key_id: str = "alias/clearance-digests") -> dict[str, str]:
    """The environment variables the template gives a function (globals and its own)."""
    variables = {
        **TEMPLATE["Globals"]["Function"]["Environment"]["Variables"],
        **TEMPLATE["Resources"][function]["Properties"]["Environment"]["Variables"],
    }
    return {name: _resolved(value, key_id) for name, value in variables.items()}


def python_in_artifact(
    artifact: Path,
    code: str,
    *args: str,
    environment: dict[str, str],
    unset: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`python -S -c code` with only the artifact on the path, in the given environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(artifact),
        "AWS_DEFAULT_REGION": NAMES.region,
        "AWS_ACCESS_KEY_ID": "artifact",
        "AWS_SECRET_ACCESS_KEY": "artifact",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-S", "-c", code, *args],
        env={name: value for name, value in env.items() if name not in unset},
        cwd=artifact,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def handler_code(function: str) -> str:
    """The program that imports a function's handler, as the template names it, and runs it."""
    module, _, attribute = TEMPLATE["Resources"][function]["Properties"]["Handler"].rpartition(".")
    return RUN_HANDLER.format(module=module, attribute=attribute, function=function)


def run_from_artifact(
    artifact: Path, function: str, event: Path, environment: dict[str, str] | None = None
) -> dict[str, Any]:
    completed = python_in_artifact(
        artifact,
        handler_code(function),
        str(event),
        environment=environment or environment_of(function),
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def event_file(tmp_path: Path, name: str, **changes: Any) -> Path:
    """A sample event from events/, with some of its fields replaced."""
    event = json.loads((PROJECT / "events" / name).read_text())
    event.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(event))
    return path


def _imports(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    found |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return found


def test_artifact_carries_the_package_schemas_and_policies(artifact: Path) -> None:
    package = artifact / "clearance"
    assert (package / "handlers" / "processor.py").is_file()
    for name in ("article", "cleared", "policy", "audit-record"):
        assert (package / "schemas" / f"{name}.schema.json").is_file()
    # Every version of every provider's terms, so any decision can be replayed from the package
    providers = PROJECT / "schemas" / "providers"
    shipped = {str(p.relative_to(providers)) for p in providers.rglob("*.json")}
    packaged = package / "schemas" / "providers"
    assert {str(p.relative_to(packaged)) for p in packaged.rglob("*.json")} == shipped
    assert "menafn/2024.1.json" in shipped


def test_every_module_carries_bytecode_compiled_from_the_source_beside_it(artifact: Path) -> None:
    # Given every module in the artifact, the project's and the pinned packages'
    modules = sorted(artifact.rglob("*.py"))
    assert len(modules) > 500
    stale, missing, checked = [], [], []
    for source in modules:
        # Then each has bytecode for Lambda's Python, used without looking at the source (PEP 552
        # unchecked-hash), and that bytecode is of exactly this source, never a stale copy
        bytecode = Path(importlib.util.cache_from_source(str(source)))
        if not bytecode.is_file():
            missing.append(str(source.relative_to(artifact)))
            continue
        header = bytecode.read_bytes()[:16]
        if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            checked.append(str(source.relative_to(artifact)))
        if header[8:16] != importlib.util.source_hash(source.read_bytes()):
            stale.append(str(source.relative_to(artifact)))
    assert (missing, checked, stale) == ([], [], [])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_cold_start_compiles_no_module_of_the_artifact(artifact: Path, function: str) -> None:
    # Given Lambda's read-only code directory: no bytecode may be written at import
    module = TEMPLATE["Resources"][function]["Properties"]["Handler"].rpartition(".")[0]
    # When the function's handler is imported from the artifact alone, verbosely
    imported = python_in_artifact(
        artifact,
        f"import {module}",
        environment={
            **environment_of(function),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONVERBOSE": "1",
        },
    )
    assert imported.returncode == 0, imported.stderr
    loaded = [
        line.rsplit(" ", 1)[-1].strip("'")
        for line in imported.stderr.splitlines()
        if line.startswith("# code object from ") and str(artifact) in line
    ]
    # Then every module of the artifact it loads comes from its bytecode, none from source
    assert len(loaded) > 100
    assert [path for path in loaded if not path.endswith(".pyc")] == []


def test_a_build_by_another_python_than_lambdas_stops_and_says_which(tmp_path: Path) -> None:
    # Given a build for a Lambda runtime other than this interpreter's version
    other = f"{sys.version_info[0]}.{sys.version_info[1] + 1}"
    # When make builds the function's artifact with this interpreter
    built = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "build-ProcessorFunction",
            f"ARTIFACTS_DIR={tmp_path}",
            "LAMBDA_PIP_PLATFORM=",
            f"LAMBDA_PYTHON_VERSION={other}",
            f"PYTHON={sys.executable}",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then it stops rather than ship bytecode Lambda would ignore, naming both versions
    assert built.returncode != 0
    assert f"bytecode for Lambda needs Python {other}" in built.stderr
    assert f"PYTHON is {sys.version.split()[0]}" in built.stderr
    assert not list(tmp_path.rglob("*.pyc"))


def test_every_function_is_built_by_the_one_recipe(tmp_path: Path) -> None:
    # Given the template's functions, each built by make (BuildMethod: makefile)
    assert len(FUNCTIONS) == 8
    recipes = {}
    for function in FUNCTIONS:
        assert TEMPLATE["Resources"][function]["Metadata"] == {"BuildMethod": "makefile"}
        # When make shows what its target would run
        recipes[function] = subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-n",
                f"build-{function}",
                f"ARTIFACTS_DIR={tmp_path}",
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    # Then every target runs the same commands, so the artifact built here is each one's
    assert len(set(recipes.values())) == 1
    assert f'"{tmp_path}/clearance"' in recipes["ProcessorFunction"]


def test_no_artifact_holds_the_command_line_the_local_stack_or_moto(artifact: Path) -> None:
    # Given the package inside the artifact, and the wings of the package in this repository
    package = artifact / "clearance"
    source = PROJECT / "functions" / "clearance"
    wings = {path.name for path in source.iterdir() if (path / "__init__.py").is_file()}
    modules = sorted(package.rglob("*.py"))

    # Then it holds every wing but the command line and the local stack, and the schemas
    assert {path.name for path in package.iterdir() if path.is_dir()} == (
        wings - set(LEFT_OUT) | {"schemas", "__pycache__"}
    )
    # And none of its modules imports them or moto, nor was moto installed beside it
    forbidden = ("moto", *(f"clearance.{wing}" for wing in LEFT_OUT))
    offending = {
        str(path.relative_to(artifact)): name
        for path in modules
        for name in _imports(path)
        if any(name == root or name.startswith(f"{root}.") for root in forbidden)
    }
    assert offending == {}
    assert len(modules) > 100
    assert not (artifact / "moto").exists()


def test_processor_imports_and_runs_from_the_artifact_alone(artifact: Path) -> None:
    # Given the artifact and S3's test event arriving through the queue
    event = PROJECT / "events" / "processor_s3_test_event.json"
    # When the handler runs with only the artifact on the path
    result = run_from_artifact(artifact, "ProcessorFunction", event)
    # Then it answers as Lambda expects, using the schemas inside the artifact
    assert result["response"] == {"batchItemFailures": []}
    assert result["schemas"] == str(artifact / "clearance" / "schemas")


def test_webhook_runs_from_the_artifact_alone(artifact: Path, tmp_path: Path) -> None:
    # Given a delivery for a provider that has no policy (answered before any AWS call)
    signed = json.loads((PROJECT / "events" / "webhook_menafn_signed.json").read_text())
    event = event_file(
        tmp_path,
        "webhook_menafn_signed.json",
        path=signed["path"].replace("/menafn/", "/nobody/"),
        pathParameters={"provider": "nobody"},
    )
    # When the webhook runs with only the artifact on the path
    result = run_from_artifact(artifact, "WebhookFunction", event)
    # Then it answers with the documented JSON error
    response = result["response"]
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "provider.unknown"


def test_kill_runs_from_the_artifact_alone(artifact: Path, tmp_path: Path) -> None:
    # Given a kill order for a provider that has no policy (answered before any AWS call)
    path = "/v1/providers/nobody/articles/a-1/kill"
    event = event_file(
        tmp_path,
        "webhook_menafn_signed.json",
        resource="/v1/providers/{provider}/articles/{id}/kill",
        path=path,
        pathParameters={"provider": "nobody", "id": "a-1"},
    )
    # When the kill function runs with only the artifact on the path
    result = run_from_artifact(artifact, "KillFunction", event)
    # Then it answers with the documented JSON error
    response = result["response"]
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "provider.unknown"


def test_audit_review_runs_from_the_artifact_alone(artifact: Path, tmp_path: Path) -> None:
    # Given a review request with a bad filter (answered before the log is read)
    event = event_file(
        tmp_path,
        "audit_review_list.json",
        queryStringParameters={"outcome": "maybe"},
        multiValueQueryStringParameters={"outcome": ["maybe"]},
    )
    # When the audit review function runs with only the artifact on the path
    result = run_from_artifact(artifact, "AuditReviewFunction", event)
    # Then the 400 names the parameter
    response = result["response"]
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["parameter"] == "outcome"


def test_review_runs_from_the_artifact_alone(artifact: Path, endpoint: tuple[str, str]) -> None:
    # Given the held list asked for, on an AWS endpoint holding the template's state table
    url, key_id = endpoint
    environment = {**environment_of("ReviewFunction", key_id), "AWS_ENDPOINT_URL": url}
    event = PROJECT / "events" / "review_list.json"
    # When the review function runs with only the artifact on the path
    result = run_from_artifact(artifact, "ReviewFunction", event, environment)
    # Then it queries the held index and answers that nothing is held
    response = result["response"]
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"held": [], "next": None}


def test_lifecycle_runs_from_the_artifact_alone(artifact: Path, endpoint: tuple[str, str]) -> None:
    # Given the every-minute schedule, on an AWS endpoint holding the template's state table
    url, key_id = endpoint
    environment = {**environment_of("LifecycleFunction", key_id), "AWS_ENDPOINT_URL": url}
    event = PROJECT / "events" / "lifecycle_schedule.json"
    # When the sweep runs with only the artifact on the path
    result = run_from_artifact(artifact, "LifecycleFunction", event, environment)
    # Then it finds nothing due
    assert result["response"] == {"articles": 0, "timers": 0}


def test_feed_poller_runs_from_the_artifact_alone(
    artifact: Path, endpoint: tuple[str, str], tmp_path: Path
) -> None:
    # Given the every-minute schedule, on an AWS endpoint holding the template's subscriptions
    # table (no feed subscribed yet) and inbound bucket
    url, key_id = endpoint
    environment = {**environment_of("FeedPollerFunction", key_id), "AWS_ENDPOINT_URL": url}
    rule = "arn:aws:events:us-east-1:123456789012:rule/clearance-FeedPollerFunctionEveryMinute"
    event = event_file(tmp_path, "lifecycle_schedule.json", resources=[rule])
    # When the poller runs with only the artifact on the path
    result = run_from_artifact(artifact, "FeedPollerFunction", event, environment)
    # Then it scans the table and finds nothing to poll
    assert result["response"] == {"polled": 0, "stored": 0, "failed": 0, "polls": []}


def test_digest_function_runs_from_the_artifact_alone(
    artifact: Path, endpoint: tuple[str, str]
) -> None:
    # Given the hourly schedule, on an AWS endpoint holding the audit bucket and the digest key
    url, key_id = endpoint
    environment = {**environment_of("AuditDigestFunction", key_id), "AWS_ENDPOINT_URL": url}
    event = PROJECT / "events" / "audit_digest_schedule.json"
    # When the digest job runs with only the artifact on the path
    result = run_from_artifact(artifact, "AuditDigestFunction", event, environment)
    # Then it seals the last complete hour of the empty log, signed, and says where
    (written,) = result["response"]["digests"]
    assert keys.hour_of_digest_key(written) is not None
    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        region_name=NAMES.region,
        aws_access_key_id="artifact",
        aws_secret_access_key="artifact",
    )
    digest = json.loads(s3.get_object(Bucket=NAMES.bucket("audit"), Key=written)["Body"].read())
    assert digest["signing"]["key_id"] == key_id
    assert digest["signature"]


def test_digest_function_without_its_key_stops_with_one_line_naming_it(artifact: Path) -> None:
    # Given the digest function deployed without DIGEST_KEY_ID
    event = PROJECT / "events" / "audit_digest_schedule.json"
    # When its first invocation runs with only the artifact on the path
    completed = python_in_artifact(
        artifact,
        handler_code("AuditDigestFunction"),
        str(event),
        environment=environment_of("AuditDigestFunction"),
        unset=("DIGEST_KEY_ID",),
    )
    # Then it stops before touching AWS, and the last line names the missing setting
    assert completed.returncode != 0
    last = completed.stderr.strip().splitlines()[-1]
    assert last == "clearance.services.config.ConfigError: DIGEST_KEY_ID is not set"

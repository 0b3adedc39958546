"""The deployment artifact, built as `sam build` builds it (BuildMethod: makefile), works alone.

The artifact is built for this machine's platform (LAMBDA_PIP_PLATFORM empty) so its handlers
can be imported and run here, with nothing but the artifact and the standard library on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.local.resources import Names
from tests.conftest import PROJECT

RUN_HANDLER = """
import json, sys
from clearance.contracts import schemas
from {module} import handler

class Context:
    function_name = "{function}"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:{function}"
    aws_request_id = "artifact-test"

event = json.load(open(sys.argv[1]))
print(json.dumps({{"schemas": str(schemas.schema_dir()), "response": handler(event, Context())}}))
"""


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


def python_in_artifact(
    artifact: Path, code: str, *args: str, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`python -S -c code` with only the artifact on the path, in the template's environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(artifact),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "artifact",
        "AWS_SECRET_ACCESS_KEY": "artifact",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **Names().environment(),
        "DIGEST_KEY_ID": "alias/clearance-digests",
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


def run_from_artifact(artifact: Path, module: str, function: str, event: Path) -> dict[str, object]:
    code = RUN_HANDLER.format(module=module, function=function)
    completed = python_in_artifact(artifact, code, str(event))
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


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
    assert not list(package.rglob("__pycache__"))


def test_processor_imports_and_runs_from_the_artifact_alone(artifact: Path) -> None:
    # Given the artifact and S3's test event arriving through the queue
    event = PROJECT / "events" / "processor_s3_test_event.json"
    # When the handler runs with only the artifact on the path
    result = run_from_artifact(artifact, "clearance.handlers.processor", "ProcessorFunction", event)
    # Then it answers as Lambda expects, using the schemas inside the artifact
    assert result["response"] == {"batchItemFailures": []}
    assert result["schemas"] == str(artifact / "clearance" / "schemas")


def test_state_handlers_import_from_the_artifact_alone(artifact: Path) -> None:
    # Given the lifecycle, kill and review functions, built like every other
    code = "import clearance.handlers.lifecycle, clearance.handlers.kill, clearance.handlers.review"
    # When their handler modules are imported with only the artifact on the path
    completed = python_in_artifact(artifact, code)
    # Then everything they import is inside the artifact
    assert completed.returncode == 0, completed.stderr


def test_webhook_runs_from_the_artifact_alone(artifact: Path, tmp_path: Path) -> None:
    # Given a delivery for a provider that has no policy (answered before any AWS call)
    event = json.loads((PROJECT / "events" / "webhook_menafn_signed.json").read_text())
    event["path"] = event["path"].replace("/menafn/", "/nobody/")
    event["pathParameters"] = {"provider": "nobody"}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    # When the webhook runs with only the artifact on the path
    result = run_from_artifact(artifact, "clearance.handlers.webhook", "WebhookFunction", path)
    # Then it answers with the documented JSON error
    response = result["response"]
    assert isinstance(response, dict)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "provider.unknown"


def test_audit_review_runs_from_the_artifact_alone(artifact: Path, tmp_path: Path) -> None:
    # Given a review request with a bad filter (answered before the log is read)
    event = json.loads((PROJECT / "events" / "audit_review_list.json").read_text())
    event["queryStringParameters"] = {"outcome": "maybe"}
    event["multiValueQueryStringParameters"] = {"outcome": ["maybe"]}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    # When the audit review function runs with only the artifact on the path
    result = run_from_artifact(
        artifact, "clearance.handlers.audit_review", "AuditReviewFunction", path
    )
    # Then the 400 names the parameter
    response = result["response"]
    assert isinstance(response, dict)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["parameter"] == "outcome"


def test_digest_function_without_its_key_stops_with_one_line_naming_it(artifact: Path) -> None:
    # Given the digest function deployed without DIGEST_KEY_ID
    event = PROJECT / "events" / "audit_digest_schedule.json"
    code = RUN_HANDLER.format(module="clearance.handlers.audit_digest", function="Digest")
    # When its first invocation runs with only the artifact on the path
    completed = python_in_artifact(artifact, code, str(event), unset=("DIGEST_KEY_ID",))
    # Then it stops before touching AWS, and the last line names the missing setting
    assert completed.returncode != 0
    last = completed.stderr.strip().splitlines()[-1]
    assert last == "clearance.services.config.ConfigError: DIGEST_KEY_ID is not set"

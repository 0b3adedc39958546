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

from tests.conftest import PROJECT

RUN_HANDLER = """
import json, sys
from clearance import schemas
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


def run_from_artifact(artifact: Path, module: str, function: str, event: Path) -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(artifact),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "artifact",
        "AWS_SECRET_ACCESS_KEY": "artifact",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "INBOUND_BUCKET": "clearance-inbound-123456789012-us-east-1",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            RUN_HANDLER.format(module=module, function=function),
            str(event),
        ],
        env=env,
        cwd=artifact,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_artifact_carries_the_package_schemas_and_policies(artifact: Path) -> None:
    package = artifact / "clearance"
    assert (package / "handlers" / "processor.py").is_file()
    for name in ("article", "cleared", "policy", "audit-record"):
        assert (package / "schemas" / f"{name}.schema.json").is_file()
    shipped = {p.name for p in (PROJECT / "schemas" / "providers").glob("*.json")}
    assert {p.name for p in (package / "schemas" / "providers").glob("*.json")} == shipped
    assert not list(package.rglob("__pycache__"))


def test_processor_imports_and_runs_from_the_artifact_alone(artifact: Path) -> None:
    # Given the artifact and S3's test event arriving through the queue
    event = PROJECT / "events" / "processor_s3_test_event.json"
    # When the handler runs with only the artifact on the path
    result = run_from_artifact(artifact, "clearance.handlers.processor", "ProcessorFunction", event)
    # Then it answers as Lambda expects, using the schemas inside the artifact
    assert result["response"] == {"batchItemFailures": []}
    assert result["schemas"] == str(artifact / "clearance" / "schemas")

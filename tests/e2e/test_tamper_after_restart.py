"""Tampering is found after a kill and a restart as it was before: `--data` keeps every object
version, and a digest signing key swapped in the data directory is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from clearance.local.signing import KEY_FILE
from tests.e2e.test_serve import Serve

pytestmark = pytest.mark.reliability

SEAL = textwrap.dedent(
    """
    import io, json, os, signal, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from clearance.cli.main import main
    from clearance.contracts.encoding import json_line
    from clearance.contracts.keys import DIGESTS, record_key
    from clearance.local.stack import LocalStack

    data, phase = Path(sys.argv[1]), sys.argv[2]

    def verify(label):
        out = io.StringIO()
        sys.stdout, saved = out, sys.stdout
        try:
            code = main(["audit", "verify"])
        finally:
            sys.stdout = saved
        said = " | ".join(line for line in out.getvalue().splitlines() if line.strip())
        print(json.dumps({"label": label, "code": code, "said": said}), flush=True)

    stack = LocalStack(data=data, dispatch=False)
    stack.start()
    audit = stack.names.bucket("audit")
    if phase == "seal":
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        for n in range(5):
            record = {
                "record_version": 1, "decision_id": f"{n:064d}-none",
                "decided_at": (hour + timedelta(minutes=n)).isoformat(), "provider": "menafn",
                "outcome": "cleared", "article": {"id": f"a{n}", "headline": "x"},
                "findings": [],
            }
            stack.s3.put_object(
                Bucket=audit, Key=record_key(record), Body=json_line(record),
                ChecksumAlgorithm="SHA256",
            )
            if n == 2:
                tampered_key, tampered = record_key(record), dict(record, outcome="rejected")
        stack.run_digest()
        verify("sealed")
        stack.s3.put_object(Bucket=audit, Key=tampered_key, Body=json_line(tampered))
        digest = stack.s3.list_objects_v2(Bucket=audit, Prefix=DIGESTS)["Contents"][0]["Key"]
        again = stack.s3.get_object(Bucket=audit, Key=digest)["Body"].read()
        stack.s3.put_object(Bucket=audit, Key=digest, Body=again)
        print(json.dumps({"record": tampered_key, "digest": digest}), flush=True)
        verify("tampered")
        os.kill(os.getpid(), signal.SIGKILL)
    verify("restarted")
    stack.stop()
    """
)


def run(data: Path, phase: str) -> tuple[int, dict[str, dict[str, object]], dict[str, str]]:
    result = subprocess.run(
        [sys.executable, "-c", SEAL, str(data), phase],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    said = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    verdicts = {str(item["label"]): item for item in said if "label" in item}
    named: dict[str, str] = next((item for item in said if "record" in item), {})
    return result.returncode, verdicts, named


def test_a_record_and_a_digest_overwritten_are_named_after_a_kill_and_a_restart(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    data = tmp_path / "data"
    # Given five records sealed by a digest on a stack with --data, which verify passes
    code, before, named = run(data, "seal")
    assert code == -9, "the first stack was killed, not stopped"
    assert before["sealed"]["code"] == 0
    # When a sealed record and the digest are overwritten through the AWS endpoint (verify
    # names both), and the stack is killed, then started again on the same directory
    assert before["tampered"]["code"] == 1
    code, after, _ = run(data, "restart")
    assert code == 0
    # Then verify still fails, naming the same record and the same digest
    restarted = after["restarted"]
    assert restarted["code"] == 1
    for key in (named["record"], named["digest"]):
        assert key in str(before["tampered"]["said"])
        assert key in str(restarted["said"])
    figure(
        "a sealed record and its digest overwritten through the endpoint, then SIGKILL and a"
        " restart: verify exits 1 naming both, before and after (2 of 2 found again)"
    )


def test_a_replaced_digest_signing_key_is_refused_at_the_next_start(
    tmp_path: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "data"
    code, before, _ = run(data, "seal")
    assert before["sealed"]["code"] == 0
    # Given the data directory's signing key replaced by another P-256 key
    path = data / KEY_FILE
    saved = json.loads(path.read_text())
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_text(json.dumps({**saved, "private_key": other.decode()}))
    # When `clearance serve` is started on it
    serve = Serve("--data", str(data))
    serve_processes.append(serve)
    code = serve.process.wait(timeout=60)
    error = serve.process.stderr.read() if serve.process.stderr else ""
    # Then it refuses in one line naming the file, exit 2, before anything starts
    assert code == 2
    assert error.startswith(f"clearance serve: {path} is not the key this state's digests")
    assert error.count("\n") == 1

"""The local stack's signing identity survives a restart and a restore: no false alarm."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import io, shutil, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from clearance.cli.main import main
    from clearance.contracts.encoding import json_line
    from clearance.contracts.keys import record_key
    from clearance.local.stack import LocalStack

    data, restored = Path(sys.argv[1]), Path(sys.argv[2])
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)

    def verify(label):
        out = io.StringIO()
        sys.stdout, saved = out, sys.stdout
        try:
            code = main(["audit", "verify"])
        finally:
            sys.stdout = saved
        print(f"{label}: {code}: {out.getvalue().strip()}")

    with LocalStack(data=data, dispatch=False) as stack:
        for n in range(5):
            record = {
                "record_version": 1, "decision_id": f"{n:064d}-none",
                "decided_at": (hour + timedelta(minutes=n)).isoformat(), "provider": "menafn",
                "outcome": "cleared", "article": {"id": f"a{n}", "headline": "x"}, "findings": [],
            }
            stack.s3.put_object(
                Bucket=stack.names.bucket("audit"), Key=record_key(record),
                Body=json_line(record), ChecksumAlgorithm="SHA256",
            )
        stack.run_digest()
        first_key = stack.digest_key_id
        verify("first start")
    with LocalStack(data=data, dispatch=False) as stack:
        print("same key id:", stack.digest_key_id == first_key)
        verify("restart")
    shutil.copytree(data, restored)
    with LocalStack(data=restored, dispatch=False) as stack:
        verify("restore")
    """
)


def test_digests_verify_after_a_restart_and_a_restore(tmp_path: Path) -> None:
    # Given a stack with --data that sealed five records, stopped, started again, and its
    # directory restored elsewhere
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data"), str(tmp_path / "restored")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if not line.startswith("{")]
    # Then each start verifies the whole log clean, under the same key
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same key id: True" in lines
    for label in ("first start", "restart", "restore"):
        (line,) = [line for line in lines if line.startswith(f"{label}: ")]
        assert line.startswith(f"{label}: 0: verified 5 records in "), line

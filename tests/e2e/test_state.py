"""`--data`: every object and secret written out, and read back with exact keys and bytes."""

from __future__ import annotations

import json
from pathlib import Path

from clearance.local.resources import Names, create_buckets
from clearance.local.stack import ROLES, LocalStack, export_state, import_state
from tests.e2e.conftest import MENAFN, deliver, settled

ODD_KEYS = {
    "inbound": "receipts/menafn/caf\u00e9 d\u00e9j\u00e0 vu + 100%.json",
    "cleared": "cleared/x/../../etc/passwd",
    "quarantine": "quarantine/unknown/2026-11-23/binary.bin",
    "audit": "audit/decisions/dt=2026-11-23/x/held/with space.json",
}
BINARY = bytes(range(256))


def contents(stack: LocalStack, names: Names, role: str) -> dict[str, tuple[bytes, str]]:
    bucket = names.bucket(role)
    found = {}
    for key in _keys(stack, bucket):
        response = stack.s3.get_object(Bucket=bucket, Key=key)
        found[key] = (response["Body"].read(), response["ContentType"])
    return found


def _keys(stack: LocalStack, bucket: str) -> list[str]:
    return [item["Key"] for item in stack.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_exported_state_imports_into_fresh_buckets_with_the_same_keys_bytes_and_secrets(
    fresh: LocalStack, tmp_path: Path
) -> None:
    # Given a processed delivery, and objects with awkward keys and bytes in every bucket
    assert deliver(fresh, MENAFN, "msg-state").status == 202
    settled(fresh, 1)
    for role, key in ODD_KEYS.items():
        fresh.s3.put_object(
            Bucket=fresh.names.bucket(role),
            Key=key,
            Body=BINARY,
            ContentType="application/x-odd",
            ChecksumAlgorithm="SHA256",
        )
    # When the state is exported, then imported into another stack's fresh buckets
    written = export_state(fresh.s3, fresh.secretsmanager, fresh.names, tmp_path)
    copy = Names(stack="clearance-copy")
    create_buckets(fresh.s3, copy)
    secrets = import_state(fresh.s3, copy, tmp_path)
    # Then every object is there under the same key, with the same bytes and content type
    for role in ROLES:
        assert contents(fresh, copy, role) == contents(fresh, fresh.names, role), role
    assert written == sum(len(_keys(fresh, fresh.names.bucket(role))) for role in ROLES)
    # And so is every provider's secret
    assert secrets == fresh.secrets
    # And the state file holds keys, not paths built from them
    state = json.loads((tmp_path / "state.json").read_text())
    assert {item["key"] for item in state["buckets"]["cleared"]} >= {ODD_KEYS["cleared"]}
    assert sorted(p.name for p in (tmp_path / "objects").iterdir()) == sorted(
        {item["sha256"] for role in ROLES for item in state["buckets"][role]}
    )


def test_directory_without_saved_state_is_an_empty_start(fresh: LocalStack, tmp_path: Path) -> None:
    # Given an empty data directory, importing it puts nothing and restores no secret
    assert import_state(fresh.s3, fresh.names, tmp_path) == {}

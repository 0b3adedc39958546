"""Decisions exported for a compliance officer's own tools: one CSV row or JSON line each."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, TextIO

EXPORT_COLUMNS = (
    "decided_at",
    "provider",
    "outcome",
    "article_id",
    "headline",
    "uri",
    "version",
    "policy",
    "rules",
    "source_key",
    "input_sha256",
    "decision_id",
)


def export_row(record: dict[str, Any]) -> dict[str, str]:
    policy = record["policy"]
    return {
        "decided_at": record["decided_at"],
        "provider": record["provider"] or "",
        "outcome": record["outcome"],
        "article_id": record["article"]["id"] or "",
        "headline": record["article"]["headline"] or "",
        "uri": record["article"]["uri"] or "",
        "version": record["article"]["version"] or "",
        "policy": f"{policy['id']}@{policy['version']}" if policy else "",
        "rules": " ".join(f["rule_id"] for f in record["findings"]),
        "source_key": record["source"]["key"],
        "input_sha256": record["source"]["sha256"],
        "decision_id": record["decision_id"],
    }


def export(records: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> int:
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
        return count
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(export_row(record))
        count += 1
    out.write(buffer.getvalue())
    return count

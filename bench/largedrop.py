"""Memory for a large file drop: the processor quarantines it by reference, never reading it whole.

A 200 MB object (uploaded in parts, so S3 holds no whole-object SHA-256 and the processor must
hash it, in 1 MiB chunks) lands in the inbound bucket of a moto server running in another
process, so only the processor's own allocations are measured here. Prints the processor's peak
traced memory and its growth in resident memory while it decides the drop, beside what reading
the object whole costs, and checks the quarantined copy and the audit record.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime

import boto3

from clearance.contracts.keys import DECISIONS
from clearance.lifecycle.record import Source
from clearance.local.resources import Names, create_buckets, create_bus, create_state_table
from clearance.services import wiring
from clearance.services.config import ProcessorConfig

MB = 1024 * 1024
KEY = "inbound/menafn/2026/11/23/large-drop.txt"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"moto server did not start on port {port}")


def rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="size of the drop (default 200)")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter running moto
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        run(port, args.mb)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(port: int, size_mb: int) -> None:
    names = Names()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": names.region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            **names.environment(),
        }
    )
    s3 = boto3.client("s3")
    create_buckets(s3, names)
    create_state_table(boto3.client("dynamodb"), names)
    create_bus(boto3.client("events"), boto3.client("sqs"), names)
    with tempfile.NamedTemporaryFile() as drop:
        chunk = b"0123456789abcdef" * (MB // 16)
        for _ in range(size_mb):
            drop.write(chunk)
        drop.flush()
        s3.upload_file(drop.name, names.bucket("inbound"), KEY)
    processor = wiring.build_processor(ProcessorConfig.from_env(os.environ))
    source = Source(names.bucket("inbound"), KEY, None, datetime.now(UTC), "bench-large-drop")

    before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    (decision,) = processor.process(source)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    after = rss_mb()

    quarantined = [
        item
        for item in s3.list_objects_v2(Bucket=names.bucket("quarantine")).get("Contents", [])
        if not item["Key"].endswith(".findings.json")
    ]
    [record_key] = [
        item["Key"]
        for item in s3.list_objects_v2(Bucket=names.bucket("audit"), Prefix=DECISIONS)["Contents"]
    ]
    record = json.loads(s3.get_object(Bucket=names.bucket("audit"), Key=record_key)["Body"].read())
    assert decision.outcome.value == "rejected"
    assert [finding["rule_id"] for finding in record["findings"]] == ["input.size"]
    assert [item["Size"] for item in quarantined] == [size_mb * MB]

    tracemalloc.start()
    whole = s3.get_object(Bucket=names.bucket("inbound"), Key=KEY)["Body"].read()
    whole_peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    del whole

    print(
        f"drop: {size_mb} MB, decided {decision.outcome.value} ({record['findings'][0]['rule_id']})"
        f" in {seconds:.2f} s; quarantined copy {quarantined[0]['Size'] / MB:.0f} MB"
    )
    print(
        f"processor peak traced memory: {peak:.1f} MB; resident peak {before:.0f} -> {after:.0f} MB"
    )
    print(f"reading it whole instead: peak traced memory {whole_peak:.0f} MB")


if __name__ == "__main__":
    main()

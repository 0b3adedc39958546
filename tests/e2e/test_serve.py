"""`clearance serve` as a user runs it: a separate process, real ports, Ctrl-C or SIGTERM."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Literal

import boto3
import pytest

from clearance.cli.main import main
from clearance.contracts.keys import DECISIONS
from clearance.ingest.signature import signed_headers
from clearance.local.resources import Names
from clearance.local.stack import DEV_SECRET
from tests.conftest import PROJECT
from tests.e2e.conftest import MENAFN, SECRET, TEXT, Response, request, wait_until

NAMES = Names()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serve:
    """`python -m clearance.cli serve ...` with its output read line by line."""

    def __init__(self, *arguments: str) -> None:
        self.port = free_port()
        self.aws_port = free_port()
        command = [sys.executable, "-m", "clearance.cli", "serve"]
        command += ["--port", str(self.port), "--aws-port", str(self.aws_port), *arguments]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PYTHONUNBUFFERED": "1", "PATH": "/usr/bin:/bin"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        assert self.process.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"serve did not print {text!r}; printed {self.output}")

    def printed(self) -> list[str]:
        """Every line printed so far."""
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return self.output

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code

    def deliver(self, body: bytes, delivery_id: str, secret: str = SECRET) -> Response:
        headers = signed_headers(secret, delivery_id, int(time.time()), body)
        url = f"http://127.0.0.1:{self.port}/v1/providers/menafn/articles"
        return request(url, body, {**headers, "Content-Type": TEXT})

    def client(self, service: Literal["s3", "sqs", "dynamodb"]) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name=NAMES.region,
            aws_access_key_id="any",
            aws_secret_access_key="any",
        )

    def count(self, role: str, prefix: str = "") -> int:
        listed = self.client("s3").list_object_versions(Bucket=NAMES.bucket(role), Prefix=prefix)
        return len(listed.get("Versions", []))

    def queued(self) -> int:
        """Messages on the inbound queue, waiting or handed to the processor and not yet done."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=NAMES.queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())


def test_serve_keeps_state_across_a_restart_without_processing_anything_twice(
    tmp_path: Path, secrets_file: Path, serve_processes: list[Serve]
) -> None:
    data = tmp_path / "state"
    # Given `clearance serve` with a secrets file and a data directory
    first = Serve("--secrets", str(secrets_file), "--data", str(data))
    serve_processes.append(first)
    first.wait_for("webhook")
    # When MENAFN delivers with its own secret, and someone signs with the development one
    accepted = first.deliver(MENAFN, "msg-serve-1")
    refused = first.deliver(MENAFN, "msg-serve-2", secret=DEV_SECRET)
    # Then only the first is accepted, and it is decided
    assert accepted.status == 202
    assert refused.status == 401
    wait_until(lambda: first.count("audit", DECISIONS) == 1, 20, "one decision")
    # When serve is stopped with SIGTERM
    assert first.stop() == 0
    assert any("state kept in" in line for line in first.output)
    # And started again on the same data directory
    second = Serve("--secrets", str(secrets_file), "--data", str(data))
    serve_processes.append(second)
    second.wait_for("webhook")
    # Then the decision, the copies and the delivery receipt are back, each written once
    assert second.count("audit", DECISIONS) == 1
    assert second.count("cleared") == 3
    replay = second.deliver(MENAFN, "msg-serve-1")
    assert (replay.status, replay.json) == (202, accepted.json)
    # And nothing re-imported is handed to the processor again: the queue holds nothing, and
    # the second run logs no decision from its start to the end of its stop (which drains it)
    wait_until(lambda: second.queued() == 0, 20, "nothing queued or in flight")
    assert second.count("audit", DECISIONS) == 1
    assert second.count("cleared") == 3
    assert second.stop() == 0
    assert not [line for line in second.output if '"message":"decided"' in line]
    assert any('"message":"decided"' in line for line in first.output)


def test_serve_refuses_a_host_that_is_not_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    # When serve is asked to listen on every interface, it refuses in one line, exit 2
    assert main(["serve", "--host", "0.0.0.0"]) == 2  # noqa: S104 - refused, never bound
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "loopback" in error


@pytest.mark.parametrize("busy", ["--port", "--aws-port"])
def test_serve_refuses_a_busy_port_before_starting_anything(
    busy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given one of the two ports already taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = "--aws-port" if busy == "--port" else "--port"
        # When serve is started on it
        code = main(["serve", busy, str(port), other, str(free_port())])
    # Then it refuses in one line, exit 2, before starting anything
    assert code == 2
    error = capsys.readouterr().err
    assert error == f"clearance serve: port {port} on 127.0.0.1 is busy (Address already in use)\n"


def test_serve_refuses_a_secrets_file_that_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a secrets file that is not JSON
    broken = tmp_path / "secrets.json"
    broken.write_text("{menafn: whsec_x")
    # Then serve refuses it in one line, exit 2
    assert main(["serve", "--secrets", str(broken)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"clearance serve: secrets file {broken} is not JSON")
    assert error.count("\n") == 1


def test_serve_refuses_unreadable_saved_state_and_leaves_it_untouched(
    tmp_path: Path, serve_processes: list[Serve]
) -> None:
    # Given a data directory whose state file was cut short
    broken = b'{"format": "clearance-local-state/1", "buckets": {'
    (tmp_path / "state.json").write_bytes(broken)
    # When serve is started on it
    serve = Serve("--data", str(tmp_path))
    serve_processes.append(serve)
    code = serve.process.wait(timeout=60)
    error = serve.process.stderr.read() if serve.process.stderr else ""
    # Then it exits 2 with one line, and the saved state is exactly as it was
    assert code == 2
    assert error.startswith(f"clearance serve: cannot read the saved state in {tmp_path}")
    assert error.count("\n") == 1
    assert (tmp_path / "state.json").read_bytes() == broken
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.json"]

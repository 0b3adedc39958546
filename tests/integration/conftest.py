"""Fixtures of the integration tests: moto in this process, and the one harness over it
(`tests.integration.harness`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from clearance.terms.policy import PolicySet
from tests.integration.harness import NAMES, Harness


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, with fake credentials: never mixed with a moto server."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMES.region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with mock_aws():
        yield


@pytest.fixture
def harness(policies: PolicySet, aws: None) -> Harness:
    """Nothing provisioned yet."""
    return Harness(policies)


@pytest.fixture
def audit(harness: Harness) -> Harness:
    """The template's buckets, for decisions written straight into the audit bucket."""
    return harness.buckets()

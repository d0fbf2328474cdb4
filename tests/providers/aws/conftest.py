"""Real-server fixtures for the AWS providers: one moto server per session, a fresh identity per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from drctl.clock import SystemClock
from drctl.providers.aws.clients import AwsClients
from drctl.providers.base import ActionContext
from drctl.settings import Settings
from drctl_sandbox.aws.replication import Replicator
from drctl_sandbox.aws.server import SandboxServer

PRIMARY = "ap-northeast-1"
SECONDARY = "ap-southeast-1"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="module")
def replicator(sandbox: SandboxServer) -> Iterator[Replicator]:
    """The sandbox's DynamoDB/S3 replication engine, with a short lag (stopped after the module:
    replication state is process-wide, and later modules drive their own replicator)."""
    engine = Replicator(lag=0.1, tick=0.02).start()
    yield engine
    engine.stop()


@dataclass
class Aws:
    """One test's view of the sandbox: its own access key (so CloudTrail lookups are per test)."""

    server: SandboxServer
    access_key: str
    started: datetime
    _cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return Settings(aws_endpoint_url=self.server.endpoint_url)

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id=self.access_key, aws_secret_access_key="testing")

    def clients(self, **kwargs: Any) -> AwsClients:
        return AwsClients(self.settings, session=self.session(), **kwargs)

    def client(self, service: str, region: str = PRIMARY) -> Any:
        return self.session().client(
            service, region_name=region, endpoint_url=self.server.endpoint_url
        )

    def ctx(self, step_id: str = "step") -> ActionContext:
        return ActionContext(
            run_id="run-1", step_id=step_id, settings=self.settings, clock=SystemClock()
        )

    def name(self, prefix: str) -> str:
        return f"{prefix}-{secrets.token_hex(4)}"

    def calls(self, region: str, *, since: datetime | None = None) -> list[dict[str, Any]]:
        """API calls this test made in `region` (from the sandbox's CloudTrail), oldest first."""
        trail = self.client("cloudtrail", region)
        pages = trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": self.access_key}],
        )
        start = since or self.started
        events = [
            e
            for page in pages
            for e in page["Events"]
            if e["EventName"] != "LookupEvents" and e["EventTime"] >= start
        ]
        return list(reversed(events))

    def writes(self, *regions: str, since: datetime) -> list[str]:
        """Names of the non-read-only calls made since `since` in the given regions."""
        return [
            e["EventName"]
            for region in regions
            for e in self.calls(region, since=since)
            if e["ReadOnly"] == "false"
        ]

    def prove_idempotent(self, action: Any, *regions: str) -> tuple[Any, Any]:
        """current -> apply -> verify, then a second apply is a no-op making no write call."""
        action.current()
        first = action.apply()
        verified = action.verify(deadline=SystemClock().monotonic() + 10)
        before = datetime.now(UTC)
        second = action.apply()
        assert second.changed is False, second.detail
        assert self.writes(*regions, since=before) == []
        return first, verified


@pytest.fixture
def aws(sandbox: SandboxServer) -> Aws:
    key = "AKIA" + secrets.token_hex(8).upper()
    return Aws(server=sandbox, access_key=key, started=datetime.now(UTC))

"""Real servers for the sandbox tests: moto over HTTP and sample apps on 127.0.0.2/3."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from drctl_sandbox.aws.server import SandboxServer
from drctl_sandbox.estate.sample_app import SampleApps

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"

Client = Callable[..., Any]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def aws(server: SandboxServer) -> Client:
    """`aws("s3", "ap-northeast-1")`: a boto3 client talking to the sandbox over HTTP."""

    @functools.cache
    def client(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=server.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


@pytest.fixture
def apps() -> Iterator[SampleApps]:
    running = SampleApps([PRIMARY, SECONDARY]).start()
    yield running
    running.stop()

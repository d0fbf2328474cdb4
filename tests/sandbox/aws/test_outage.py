"""A regional API outage: calls scoped to the failed region answer 503; other regions and Route 53 work."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from drctl_sandbox.aws import outage
from drctl_sandbox.aws.server import SandboxServer

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


def _client(server: SandboxServer, service: str, region: str) -> object:
    return boto3.client(service, region_name=region, endpoint_url=server.endpoint_url, config=NO_RETRY,
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


@pytest.mark.parametrize(("service", "call"), [("dynamodb", "list_tables"), ("rds", "describe_db_clusters"),
                                               ("s3", "list_buckets"), ("secretsmanager", "list_secrets")])  # fmt: skip
def test_calls_in_a_failed_region_answer_503_until_it_recovers(
    server: SandboxServer, service: str, call: str
) -> None:
    failed = _client(server, service, "ap-northeast-1")
    healthy = _client(server, service, "ap-southeast-1")
    outage.block("ap-northeast-1")
    try:
        with pytest.raises(ClientError) as info:
            getattr(failed, call)()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        getattr(healthy, call)()
    finally:
        outage.unblock("ap-northeast-1")
    getattr(failed, call)()


def test_route53_is_unaffected_by_a_regional_outage(server: SandboxServer) -> None:
    outage.block("ap-northeast-1")
    try:
        _client(server, "route53", "ap-northeast-1").list_hosted_zones()  # type: ignore[attr-defined]
    finally:
        outage.unblock("ap-northeast-1")

"""A failed region's APIs as AWS shows them: a 503 at once, or requests that hang until the client gives up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from drctl.providers.aws import efs
from drctl_sandbox.aws import outage

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    outage.unblock(PRIMARY)


def test_a_hanging_region_gives_the_client_a_read_timeout_and_a_failed_one_a_503(
    aws: Any, restore: None
) -> None:
    config = Config(read_timeout=1, connect_timeout=1, retries={"total_max_attempts": 1})
    rds = aws.session().client(
        "rds", region_name=PRIMARY, endpoint_url=aws.server.endpoint_url, config=config
    )
    outage.block(PRIMARY, "hang")
    with pytest.raises(ReadTimeoutError):
        rds.describe_db_clusters()
    outage.block(PRIMARY, "unavailable")
    with pytest.raises(ClientError) as err:
        rds.describe_db_clusters()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


@pytest.mark.parametrize("mode", ["unavailable", "hang"])
def test_efs_promotion_probes_the_failed_region_once_briefly_then_deletes_locally(
    aws: Any, restore: None, mode: outage.OutageMode
) -> None:
    source = aws.client("efs", PRIMARY).create_file_system(CreationToken=aws.name("fs"))[
        "FileSystemId"
    ]
    replica = aws.client("efs", PRIMARY).create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )["Destinations"][0]["FileSystemId"]
    logged: list[str] = []
    ctx = replace(aws.ctx(), log=logged.append)
    promote = efs.PromoteReplica(  # default clients: 8 attempts, 30 s reads
        efs.PromoteParams(region=SECONDARY, file_system=replica), ctx, aws.clients()
    )
    outage.block(PRIMARY, mode)

    outcome = promote.apply()
    promote.verify(deadline=ctx.clock.monotonic() + 30)

    assert outcome.output == {"deletion_mode": "LOCAL_CONFIGURATION_ONLY"}
    expected = "ReadTimeoutError" if mode == "hang" else "ServiceUnavailable"
    assert logged == [f"{PRIMARY} does not answer ({expected}): local side only"]

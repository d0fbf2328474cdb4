"""One AWS client factory per run: steps of a run share it, and it is safe across threads."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drctl.providers.aws.s3 import PairParams, VerifyReplication

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


def action(ctx: Any) -> VerifyReplication:
    params = PairParams(
        source_bucket="a",
        source_region=PRIMARY,
        destination_bucket="b",
        destination_region=SECONDARY,
    )
    return VerifyReplication(VerifyReplication.Params(**params.model_dump()), ctx)


def test_steps_of_one_run_share_one_client_factory_and_other_runs_do_not(aws: Any) -> None:
    run = aws.ctx("first")
    same_run = dataclasses.replace(run, step_id="second")  # the engine passes one `shared`
    other_run = dataclasses.replace(run, shared={})

    first, second, other = action(run), action(same_run), action(other_run)

    assert first.clients is second.clients
    assert first.clients is not other.clients
    assert first.client("s3", PRIMARY) is second.client("s3", PRIMARY)


def test_threads_creating_the_same_client_get_one_client(aws: Any) -> None:
    clients = action(aws.ctx()).clients
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: clients.client("dynamodb", SECONDARY), range(32)))
    assert len({id(c) for c in made}) == 1

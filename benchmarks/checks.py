"""`drctl check` at scale: a generated plan of 200 resources checked live against the sandbox.

The sandbox runs in its own process (as AWS would be), so the pool is not measured against
a server sharing its interpreter lock. Prints the wall time with the bounded pool and the
ratio to the same checks run sequentially.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

import boto3
import yaml

from drctl.checks.context import CheckContext, SharedClients
from drctl.checks.registry import select
from drctl.checks.run import DEFAULT_WORKERS, check_plan
from drctl.plan.model import Plan
from drctl.settings import Settings
from drctl_sandbox.estate.model import SEED_PLAN
from drctl_sandbox.runtime import Sandbox

PRIMARY, DR = "ap-northeast-1", "ap-southeast-1"
COUNTS = {"s3-replication": 70, "secrets": 70, "rds-replica": 59}


def _resource(kind: str, i: int) -> dict[str, Any]:
    name = f"{kind}-{i:03d}"
    if kind == "s3-replication":
        return {"kind": kind, "name": name, "replication_time_control": True,
                "source": {"region": PRIMARY, "bucket": f"bench-{i:03d}-apne1"},
                "destination": {"region": DR, "bucket": f"bench-{i:03d}-apse1"}}  # fmt: skip
    if kind == "secrets":
        return {
            "kind": kind,
            "name": name,
            "secrets_manager": [f"bench/{i:03d}"],
            "replica_regions": [DR],
        }
    return {"kind": kind, "name": name, "source": {"region": PRIMARY, "instance": f"bench-{i:03d}"},
            "replica": {"region": DR, "instance": f"bench-{i:03d}-replica"}}  # fmt: skip


def generated_plan() -> Plan:
    """The seed plan with its EKS cluster and 199 generated data resources (200 in all)."""
    data = yaml.safe_load(SEED_PLAN.read_text())
    cluster = next(r for r in data["resources"] if r["kind"] == "eks-cluster")
    cluster["eksctl_configs"] = {}  # the generated plan has no files beside it
    data["resources"] = [
        cluster,
        *(_resource(kind, i) for kind, n in COUNTS.items() for i in range(n)),
    ]
    return Plan.model_validate(data)


def _serve(plan_json: str, pipe: Connection) -> None:
    with Sandbox(Plan.model_validate_json(plan_json)) as sandbox:
        pipe.send(sandbox.endpoint_url)
        pipe.recv()  # until the benchmark is done


def _timed(plan: Plan, endpoint_url: str, workers: int) -> tuple[float, int, int]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = SharedClients(Settings(aws_endpoint_url=endpoint_url), session=session)
    ctx = CheckContext(plan=plan, clients=clients, history=list)
    rules = select(skip=["drill-recency"])
    started = time.perf_counter()
    report = check_plan(rules, ctx, mode="live", workers=workers)
    return time.perf_counter() - started, len(report.checked), len(report.findings)


def main() -> None:
    """Provision the generated estate in a sandbox process, then check it with the pool and sequentially."""
    plan = generated_plan()
    started = time.perf_counter()
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(plan.model_dump_json(by_alias=True), theirs), daemon=True
    )
    server.start()
    try:
        endpoint_url = ours.recv()
        print(
            f"provisioned {len(plan.resources)} resources in {time.perf_counter() - started:.1f}s"
        )
        _timed(plan, endpoint_url, DEFAULT_WORKERS)  # warm clients and connections
        pooled, checks, findings = _timed(plan, endpoint_url, DEFAULT_WORKERS)
        sequential, _, _ = _timed(plan, endpoint_url, 1)
    finally:
        ours.send("stop")
        server.join(timeout=30)
    print(f"{checks} checks ({findings} findings) on {len(plan.resources)} resources")
    print(
        f"pool of {DEFAULT_WORKERS}: {pooled:.2f}s   sequential: {sequential:.2f}s   "
        f"speed-up x{sequential / pooled:.1f}"
    )


if __name__ == "__main__":
    main()

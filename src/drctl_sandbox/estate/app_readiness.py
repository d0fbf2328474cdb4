"""Whether a region's sample app can take writes: its database there is writable, its secrets resolve.

Read through the sandbox's own AWS API (as the app would through its SDK), in the app's
region only, so a failed region's outage never blocks the answer of the surviving one:

- Aurora global database: the region's cluster is the writer (`IsWriter` of
  `DescribeGlobalClusters`' `GlobalClusterMembers`); a secondary cluster is read-only
  until `FailoverGlobalCluster`/`SwitchoverGlobalCluster`.
- RDS cross-region replica: the instance is no longer a replica (no
  `ReadReplicaSourceDBInstanceIdentifier` in `DescribeDBInstances`) once `PromoteReadReplica`
  has finished; a read replica refuses writes.
- Secrets Manager: `GetSecretValue` answers for every secret of the plan in the region.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drctl.plan.model import Plan
from drctl.plan.resources import AuroraGlobal, RdsReplica, Secrets

_CLIENT = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=2)
_CACHE_SECONDS = 0.2


class WriteReadiness:
    """`__call__()` is '' when the app in `region` can take writes, else the reason it cannot."""

    def __init__(self, plan: Plan, region: str, endpoint_url: str) -> None:
        self.plan, self.region = plan, region
        self._clients = {
            service: boto3.client(
                service,
                region_name=region,
                endpoint_url=endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=_CLIENT,
            )
            for service in ("rds", "secretsmanager")
        }
        self._lock = threading.Lock()
        self._cached: tuple[float, str] | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < _CACHE_SECONDS:
                return self._cached[1]
            try:
                reason = self._aurora() or self._rds() or self._secrets()
            except (ClientError, BotoCoreError) as exc:
                reason = f"cannot read its database state in {self.region}: {exc}"[:200]
            self._cached = (time.monotonic(), reason)
            return reason

    def _aurora(self) -> str:
        rds: Any = self._clients["rds"]
        for db in self.plan.resources_of(AuroraGlobal):
            if self.region not in db.clusters:
                continue
            found = rds.describe_global_clusters(GlobalClusterIdentifier=db.global_cluster)
            members = found["GlobalClusters"][0]["GlobalClusterMembers"]
            mine = [m for m in members if f":{self.region}:" in m["DBClusterArn"]]
            if not any(m["IsWriter"] for m in mine):
                return f"Aurora cluster {db.clusters[self.region]} is a read-only secondary"
            cluster = rds.describe_db_clusters(DBClusterIdentifier=db.clusters[self.region])
            if (status := cluster["DBClusters"][0]["Status"]) != "available":
                return f"Aurora cluster {db.clusters[self.region]} is {status}"
        return ""

    def _rds(self) -> str:
        rds: Any = self._clients["rds"]
        for db in self.plan.resources_of(RdsReplica):
            for side in (db.source, db.replica):
                if side.region != self.region:
                    continue
                found = rds.describe_db_instances(DBInstanceIdentifier=side.instance)
                instance = found["DBInstances"][0]
                if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
                    return f"RDS instance {side.instance} is a read replica"
                if instance["DBInstanceStatus"] != "available":
                    return f"RDS instance {side.instance} is {instance['DBInstanceStatus']}"
        return ""

    def _secrets(self) -> str:
        client: Any = self._clients["secretsmanager"]
        for group in self.plan.resources_of(Secrets):
            for name in group.secrets_manager:
                try:
                    client.get_secret_value(SecretId=name)
                except ClientError as exc:
                    return f"secret {name} does not resolve in {self.region}: {exc.response['Error']['Code']}"
        return ""

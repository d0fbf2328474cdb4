"""AWS API behaviour moto 5.2.5 lacks, added to its backends so the wire protocol stays AWS's.

See shared SANDBOX-FACTS.md. Each addition follows the AWS API reference, error codes
included, and is tested through boto3 over HTTP. `install()` is idempotent.

- RDS `FailoverGlobalCluster` (AllowDataLoss or Switchover) and `SwitchoverGlobalCluster`:
  the target secondary becomes the writer, the old writer a secondary, after the latency
  table's `aurora_global_failover` / `aurora_global_switchover` on the sandbox clock;
  meanwhile the global cluster reports `FailoverState` (`pending`, then `failing-over` or
  `switching-over`) and refuses a second operation (`InvalidGlobalClusterStateFault`).
- RDS `RemoveFromGlobalCluster`: moto looks the global cluster up in the caller's region
  (it lives in us-east-1's backend) and silently answers nothing; here it detaches the
  member and the detached cluster becomes a standalone writer (detach-and-promote).
- RDS `DescribeGlobalClusters` honours GlobalClusterIdentifier (moto returns every one).
- RDS `CreateGlobalCluster` from a source cluster: the source becomes the writer member.
- RDS `PromoteReadReplica`: the promoted instance stops naming its source, and the source
  stops listing it (moto keeps both links).
- Secrets Manager `StopReplicationToReplica`: the replica becomes a standalone secret, after
  the latency table's `secret_replica_promotion`.
- EFS replication configurations (see `efs_replication.py`).
- ElastiCache Global Datastores (see `elasticache_global.py`).
- CloudTrail `LookupEvents` answered from every API call the server saw (see `cloudtrail.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBCluster, GlobalCluster, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse
from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException
from moto.secretsmanager.models import FakeSecret, ReplicaSecret, SecretsManagerBackend
from moto.secretsmanager.responses import SecretsManagerResponse

from drctl_sandbox import latencies
from drctl_sandbox.aws import (
    cloudtrail,
    ebs_states,
    efs_replication,
    eks_creation,
    elasticache_global,
    outage,
    rds_promotion,
    state_changes,
)
from drctl_sandbox.clock import CLOCK

_installed = False


@dataclass
class _Operation:
    """A global cluster failover or switchover in progress (AWS's FailoverState)."""

    target: DBCluster
    from_arn: str
    started_at: float
    done_at: float
    data_loss: bool
    promoted: bool = False


_operations: dict[str, _Operation] = {}  # global cluster identifier -> operation


def reset() -> None:
    """Forget global cluster operations in progress (the server's reset)."""
    _operations.clear()


def install() -> None:
    """Patch moto's response classes with the missing actions (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    patches: list[tuple[type, str, Any]] = [
        (RDSResponse, "failover_global_cluster", _failover_global_cluster),
        (RDSResponse, "switchover_global_cluster", _switchover_global_cluster),
        (RDSResponse, "remove_from_global_cluster", _remove_from_global_cluster),
        (RDSResponse, "describe_global_clusters", _describe_global_clusters),
        (
            RDSBackend,
            "create_global_cluster",
            _creating_writer_source(RDSBackend.create_global_cluster),
        ),
        (RDSBackend, "promote_read_replica", _unlinking_promotion(RDSBackend.promote_read_replica)),
        (SecretsManagerResponse, "stop_replication_to_replica", _stop_replication_to_replica),
    ]
    for cls, name, function in patches:
        setattr(cls, name, function)
    cloudtrail.install()
    rds_promotion.install()
    state_changes.install()
    eks_creation.install()
    ebs_states.install()
    efs_replication.install()
    elasticache_global.install()


def _global_cluster(response: RDSResponse, identifier: str) -> GlobalCluster:
    clusters = response.global_backend.global_clusters
    if identifier not in clusters:
        raise RDSClientError(
            "GlobalClusterNotFoundFault", f"Global cluster {identifier} not found."
        )
    found: GlobalCluster = clusters[identifier]
    return found


def _is_member(cluster: DBCluster, identifier: str) -> bool:
    return identifier in (cluster.db_cluster_arn, cluster.db_cluster_identifier)


def _cluster_anywhere(account: str, identifier: str) -> DBCluster | None:
    for backend in rds_backends[account].values():
        for cluster in backend.clusters.values():
            if _is_member(cluster, identifier.lower()) or cluster.db_cluster_arn == identifier:
                found: DBCluster = cluster
                return found
    return None


def _member(response: RDSResponse, gc: GlobalCluster, identifier: str) -> DBCluster:
    for cluster in gc.members:
        if cluster.db_cluster_arn == identifier or _is_member(cluster, identifier.lower()):
            member: DBCluster = cluster
            return member
    if _cluster_anywhere(response.current_account, identifier) is None:
        raise RDSClientError("DBClusterNotFoundFault", f"DBCluster {identifier} not found.")
    raise RDSClientError(
        "InvalidGlobalClusterStateFault",
        f"DB cluster {identifier} is not a member of global cluster {gc.global_cluster_identifier}.",
    )


def _promote(
    response: RDSResponse, identifier: str, target_id: str, *, data_loss: bool
) -> ActionResult:
    gc = _global_cluster(response, identifier)
    target = _member(response, gc, target_id)
    if target.is_writer:
        raise RDSClientError(
            "InvalidGlobalClusterStateFault",
            f"DB cluster {target_id} is already the primary of global cluster {identifier}.",
        )
    if gc.status != "available":
        raise RDSClientError(
            "InvalidGlobalClusterStateFault", f"Global cluster {identifier} is {gc.status}."
        )
    writer = next((c for c in gc.members if c.is_writer), None)
    took = latencies.seconds("aurora_global_failover" if data_loss else "aurora_global_switchover")
    now = CLOCK.now()
    _operations[gc.global_cluster_identifier] = _Operation(
        target, writer.db_cluster_arn if writer else "", now, now + took, data_loss
    )
    gc.status = "failing-over" if data_loss else "switching-over"
    _settle(gc)
    return ActionResult({"GlobalCluster": gc})


def _settle(gc: GlobalCluster) -> None:
    """Move an operation along on the sandbox clock; show FailoverState while it runs.

    FailoverState is `pending` for `aurora_failover_pending`, then `failing-over` (or
    `switching-over`) until the operation's latency has passed; then the target is the
    writer and FailoverState is gone.
    """
    op = _operations.get(gc.global_cluster_identifier)
    if op is None:
        return
    now = CLOCK.now()
    if not op.promoted and now < op.done_at:
        pending = now < op.started_at + latencies.seconds("aurora_failover_pending")
        vars(gc)["failover_state"] = {
            "Status": "pending" if pending else gc.status,
            "FromDbClusterArn": op.from_arn,
            "ToDbClusterArn": op.target.db_cluster_arn,
            "IsDataLossAllowed": op.data_loss,
        }
        return
    if not op.promoted:
        op.promoted = True
        vars(gc).pop("failover_state", None)
        for cluster in gc.members:
            cluster.is_writer = cluster is op.target
        # The writer is listed first, as DescribeGlobalClusters does on AWS.
        gc.members.sort(key=lambda c: not c.is_writer)
    # Unconfirmed by AWS: while the old writer's region is out its cluster cannot be made a
    # secondary, so the sandbox keeps the global cluster's Status `failing-over` (refusing
    # further operations) until that region is back; the new writer serves meanwhile.
    old_region = op.from_arn.split(":")[3] if op.from_arn.count(":") >= 3 else ""
    if op.data_loss and old_region in outage.blocked():
        return
    del _operations[gc.global_cluster_identifier]
    gc.status = "available"


def _failover_global_cluster(self: RDSResponse) -> ActionResult:
    params: dict[str, Any] = self.params
    if params.get("AllowDataLoss") and params.get("Switchover"):
        raise RDSClientError(
            "InvalidParameterCombination", "AllowDataLoss and Switchover cannot both be set."
        )
    return _promote(
        self,
        params["GlobalClusterIdentifier"],
        params["TargetDbClusterIdentifier"],
        data_loss=not params.get("Switchover"),
    )


def _switchover_global_cluster(self: RDSResponse) -> ActionResult:
    params: dict[str, Any] = self.params
    return _promote(
        self,
        params["GlobalClusterIdentifier"],
        params["TargetDbClusterIdentifier"],
        data_loss=False,
    )


def _describe_global_clusters(self: RDSResponse) -> ActionResult:
    identifier = self.params.get("GlobalClusterIdentifier")
    found = (
        [_global_cluster(self, identifier)]
        if identifier
        else self.global_backend.describe_global_clusters()
    )
    for gc in found:
        _settle(gc)
    return ActionResult({"GlobalClusters": found})


def _remove_from_global_cluster(self: RDSResponse) -> ActionResult:
    params: dict[str, Any] = self.params
    gc = _global_cluster(self, params["GlobalClusterIdentifier"])
    cluster = _member(self, gc, params["DbClusterIdentifier"])
    if cluster.is_writer and len(gc.members) > 1:
        raise RDSClientError(
            "InvalidGlobalClusterStateFault",
            "The primary cluster can be removed only after every secondary cluster.",
        )
    gc.members.remove(cluster)
    cluster.global_cluster_identifier = None
    cluster.replication_source_identifier = None
    cluster.is_writer = True
    return ActionResult({"GlobalCluster": gc})


def _creating_writer_source(original: Any) -> Any:
    # moto keeps global clusters in us-east-1's backend and looks the source cluster up
    # there too; on AWS the source may live in any region, and it becomes the writer.
    def create_global_cluster(
        self: RDSBackend,
        global_cluster_identifier: str,
        source_db_cluster_identifier: str | None,
        engine: str | None,
        engine_version: str | None,
        storage_encrypted: bool | None,
        deletion_protection: bool | None,
    ) -> GlobalCluster:
        source = _cluster_anywhere(self.account_id, source_db_cluster_identifier or "")
        if source is None:
            gc: GlobalCluster = original(
                self,
                global_cluster_identifier,
                source_db_cluster_identifier,
                engine,
                engine_version,
                storage_encrypted,
                deletion_protection,
            )
        else:
            if engine is not None:
                raise RDSClientError(
                    "InvalidParameterCombination",
                    "Engine cannot be given with SourceDBClusterIdentifier.",
                )
            gc = original(
                self,
                global_cluster_identifier,
                None,
                source.engine,
                source.engine_version,
                storage_encrypted,
                deletion_protection,
            )
            source.global_cluster_identifier = gc.global_cluster_arn
            gc.members.append(source)
        if len(gc.members) == 1:
            gc.members[0].is_writer = True
        return gc

    return create_global_cluster


def _unlinking_promotion(original: Any) -> Any:
    def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        database = self.databases.get(db_kwargs["db_instance_identifier"])
        source_id = getattr(database, "source_db_instance_identifier", None)
        promoted = original(self, db_kwargs)
        if source_id:
            source = self.find_db_from_id(source_id)
            for link in (promoted.db_instance_arn, promoted.db_instance_identifier):
                if link in source.replicas:
                    source.replicas.remove(link)
            promoted.source_db_instance_identifier = None
        return promoted

    return promote_read_replica


def _stop_replication_to_replica(self: SecretsManagerResponse) -> str:
    # The promotion answers after `secret_replica_promotion` (seconds; AWS gives no figure).
    CLOCK.sleep(latencies.seconds("secret_replica_promotion"))
    secret_id: str = self._get_param("SecretId")
    backend: SecretsManagerBackend = self.backend
    if secret_id not in backend.secrets:
        raise SecretNotFoundException()
    replica = backend.secrets[secret_id]
    if not isinstance(replica, ReplicaSecret):
        raise InvalidRequestException(
            "The secret is not a replica; StopReplicationToReplica must be called "
            "in the region of a replica secret."
        )
    standalone = _standalone_copy(replica, backend)
    dict.pop(backend.secrets, replica.arn)
    backend.secrets[standalone.name] = standalone
    replica.source.replicas.remove(replica)
    return f'{{"ARN": "{standalone.arn}"}}'


def _standalone_copy(replica: ReplicaSecret, backend: SecretsManagerBackend) -> FakeSecret:
    source: FakeSecret = replica.source
    secret = FakeSecret(
        account_id=source.account_id,
        region_name=replica.region,
        secret_id=source.name,
        secret_version={},
        version_id="",
        description=source.description,
        tags=source.tags,
        kms_key_id=source.kms_key_id,
        created_date=source.created_date,
        last_changed_date=source.last_changed_date,
    )
    secret.arn = replica.arn
    secret.versions = {vid: dict(v) for vid, v in source.versions.items()}
    secret.set_default_version_id(source.default_version_id)
    return secret

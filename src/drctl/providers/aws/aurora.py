"""Aurora: global switchover (drills) and failover (disaster), detach-and-promote, in-region failover."""

from __future__ import annotations

from typing import Literal

from drctl.errors import NotFoundError, StateError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params

GLOBAL_REGION_HINT = (
    "list members with `aws rds describe-global-clusters`; the target must be a secondary"
)


class GlobalMember(Frozen):
    """One cluster of a global database."""

    cluster_arn: str
    region: str
    is_writer: bool


class FailoverOperation(Frozen):
    """A failover or switchover in progress (the global cluster's `FailoverState`)."""

    status: str
    to_cluster_arn: str
    data_loss_allowed: bool


class GlobalClusterState(Frozen):
    """A global database as `describe_global_clusters` reports it."""

    identifier: str
    status: str
    members: tuple[GlobalMember, ...]
    operation: FailoverOperation | None = None

    @property
    def writer(self) -> GlobalMember | None:
        """The writer member, if any."""
        return next((m for m in self.members if m.is_writer), None)

    def member(self, cluster_arn: str) -> GlobalMember | None:
        """The member with this ARN, if any."""
        return next((m for m in self.members if m.cluster_arn == cluster_arn), None)


class ClusterState(Frozen):
    """One Aurora cluster: status, endpoints, writer instance, global membership."""

    identifier: str
    arn: str
    region: str
    status: str
    endpoint: str
    reader_endpoint: str
    writer_instance: str | None
    instances: tuple[str, ...]
    global_cluster: str | None


def read_global_cluster(
    clients: AwsClients, global_cluster: str, region: str
) -> GlobalClusterState:
    """Describe a global cluster through `region`'s endpoint (use the surviving region)."""
    with aws_errors(f"global cluster {global_cluster}", region):
        found = clients.client("rds", region).describe_global_clusters(
            GlobalClusterIdentifier=global_cluster
        )["GlobalClusters"]
    gc = next((g for g in found if g["GlobalClusterIdentifier"] == global_cluster.lower()), None)
    if gc is None:
        raise NotFoundError(
            f"global cluster {global_cluster} does not exist",
            hint=GLOBAL_REGION_HINT,
            where=f"global cluster {global_cluster} in {region}",
            code="GlobalClusterNotFoundFault",
        )
    members = tuple(
        GlobalMember(
            cluster_arn=m["DBClusterArn"],
            region=m["DBClusterArn"].split(":")[3],
            is_writer=bool(m.get("IsWriter")),
        )
        for m in gc.get("GlobalClusterMembers", [])
    )
    state = gc.get("FailoverState") or {}
    operation = (
        FailoverOperation(
            status=state["Status"],
            to_cluster_arn=state.get("ToDbClusterArn", ""),
            data_loss_allowed=bool(state.get("IsDataLossAllowed")),
        )
        if state.get("Status")
        else None
    )
    return GlobalClusterState(
        identifier=gc["GlobalClusterIdentifier"],
        status=gc["Status"],
        members=members,
        operation=operation,
    )


def read_cluster(clients: AwsClients, cluster: str, region: str) -> ClusterState:
    """Describe one Aurora cluster (identifier or ARN) in `region`."""
    with aws_errors(f"DB cluster {cluster}", region):
        c = clients.client("rds", region).describe_db_clusters(DBClusterIdentifier=cluster)[
            "DBClusters"
        ][0]
    members = c.get("DBClusterMembers", [])
    writer = next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None)
    return ClusterState(
        identifier=c["DBClusterIdentifier"],
        arn=c["DBClusterArn"],
        region=region,
        status=c["Status"],
        endpoint=c.get("Endpoint", ""),
        reader_endpoint=c.get("ReaderEndpoint", ""),
        writer_instance=writer,
        instances=tuple(m["DBInstanceIdentifier"] for m in members),
        global_cluster=c.get("GlobalClusterIdentifier") or None,
    )


class GlobalPromotionParams(Params):
    """Which secondary cluster of which global database becomes the writer."""

    global_cluster: str
    target_region: str
    target_cluster: str


class _GlobalPromotion(AwsAction[GlobalPromotionParams]):
    Params = GlobalPromotionParams
    verb: str
    mode: Literal["switchover", "failover"]

    def describe(self) -> str:
        p = self.params
        return f"{self.verb} global cluster {p.global_cluster} to {p.target_cluster} in {p.target_region}"

    def _target(self) -> ClusterState:
        return read_cluster(self.clients, self.params.target_cluster, self.params.target_region)

    def _global(self) -> GlobalClusterState:
        return read_global_cluster(
            self.clients, self.params.global_cluster, self.params.target_region
        )

    def current(self) -> Output:
        return {"global_cluster": dump(self._global()), "target": dump(self._target())}

    def apply(self) -> Outcome:
        p, target, gc = self.params, self._target(), self._global()
        member = gc.member(target.arn)
        if member is None:
            raise StateError(
                f"{target.arn} is not a member of global cluster {p.global_cluster}",
                hint=GLOBAL_REGION_HINT,
                where=f"global cluster {p.global_cluster} in {p.target_region}",
                code="NotAGlobalMember",
            )
        if member.is_writer:
            return Outcome(changed=False, detail=f"{target.identifier} is already the writer")
        if gc.operation is not None:
            return self._in_progress(gc.operation, target)
        with aws_errors(f"global cluster {p.global_cluster}", p.target_region):
            rds = self.client("rds", p.target_region)
            if self.mode == "switchover":
                rds.switchover_global_cluster(
                    GlobalClusterIdentifier=p.global_cluster, TargetDbClusterIdentifier=target.arn
                )
            else:
                rds.failover_global_cluster(
                    GlobalClusterIdentifier=p.global_cluster,
                    TargetDbClusterIdentifier=target.arn,
                    AllowDataLoss=True,
                )
        return Outcome(changed=True, detail=f"{self.mode} to {target.arn} requested")

    def _in_progress(self, operation: FailoverOperation, target: ClusterState) -> Outcome:
        # After a crash mid-step: AWS refuses a second operation while one runs
        # (InvalidGlobalClusterStateFault), so one towards the target counts as requested.
        p = self.params
        if operation.to_cluster_arn != target.arn:
            raise StateError(
                f"global cluster {p.global_cluster} is {operation.status} to {operation.to_cluster_arn}",
                hint="wait for that operation to finish (or cancel it), then run the step again",
                where=f"global cluster {p.global_cluster} in {p.target_region}",
                code="OperationInProgress",
            )
        return Outcome(
            changed=False,
            detail=f"{self.mode} to {target.arn} already in progress ({operation.status})",
        )

    def verify(self, deadline: float) -> Output:
        p = self.params
        target = self._target()

        def problem(gc: GlobalClusterState) -> str:
            member = gc.member(target.arn)
            if member is None or not member.is_writer:
                writer = gc.writer.cluster_arn if gc.writer else "none"
                return f"writer is {writer}, not {target.arn}"
            if gc.operation is not None:
                return f"FailoverState is {gc.operation.status}"
            if self.mode == "failover":
                # The global cluster's Status may stay failing-over while the old primary's
                # region is down (unconfirmed by AWS): the target being the writer with no
                # operation left in FailoverState is what the failover is for.
                return ""
            return "" if gc.status == "available" else f"global cluster is {gc.status}"

        self.wait(
            self._global,
            problem,
            deadline,
            f"global cluster {p.global_cluster} in {p.target_region}",
        )
        ready = self.wait(self._target, _not_available, deadline, f"DB cluster {target.arn}")
        return {
            "writer_arn": ready.arn,
            "writer_endpoint": ready.endpoint,
            "region": p.target_region,
        }


def _not_available(cluster: ClusterState) -> str:
    return (
        "" if cluster.status == "available" else f"cluster {cluster.identifier} is {cluster.status}"
    )


class SwitchoverGlobal(_GlobalPromotion):
    """Planned switchover of an Aurora global database (drills; no data loss)."""

    kind = "aws.aurora.switchover-global"
    events = frozenset({"SwitchoverGlobalCluster"})
    verb = "switch over"
    mode = "switchover"


class FailoverGlobal(_GlobalPromotion):
    """Managed failover of an Aurora global database with AllowDataLoss (regional disaster)."""

    kind = "aws.aurora.failover-global"
    events = frozenset({"FailoverGlobalCluster"})
    verb = "fail over (allowing data loss)"
    mode = "failover"

"""Aurora cluster actions: detach a secondary from its global database, in-region writer failover."""

from __future__ import annotations

from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.aurora import ClusterState, read_cluster, read_global_cluster
from drctl.providers.aws.clients import aws_errors
from drctl.providers.aws.markers import has_marker, put_marker
from drctl.providers.base import Outcome, Output, Params


class DetachParams(Params):
    """The global database and the secondary cluster to detach and promote."""

    global_cluster: str
    region: str
    cluster: str


class DetachAndPromote(AwsAction[DetachParams]):
    """Detach a secondary from its global database (`remove_from_global_cluster`): it becomes a standalone writer."""

    kind = "aws.aurora.detach-and-promote"
    events = frozenset({"RemoveFromGlobalCluster"})
    Params = DetachParams

    def describe(self) -> str:
        p = self.params
        return f"detach {p.cluster} in {p.region} from global cluster {p.global_cluster} and promote it"

    def _cluster(self) -> ClusterState:
        return read_cluster(self.clients, self.params.cluster, self.params.region)

    def _is_member(self, arn: str) -> bool:
        gc = read_global_cluster(self.clients, self.params.global_cluster, self.params.region)
        return gc.member(arn) is not None

    def current(self) -> Output:
        cluster = self._cluster()
        return {"cluster": dump(cluster), "member": self._is_member(cluster.arn)}

    def apply(self) -> Outcome:
        p, cluster = self.params, self._cluster()
        if not self._is_member(cluster.arn):
            return Outcome(changed=False, detail=f"{cluster.identifier} is already standalone")
        with aws_errors(f"global cluster {p.global_cluster}", p.region):
            self.client("rds", p.region).remove_from_global_cluster(
                GlobalClusterIdentifier=p.global_cluster, DbClusterIdentifier=cluster.arn
            )
        return Outcome(changed=True, detail=f"{cluster.arn} detached")

    def verify(self, deadline: float) -> Output:
        def problem(cluster: ClusterState) -> str:
            if self._is_member(cluster.arn):
                return f"{cluster.identifier} is still a member of {self.params.global_cluster}"
            return "" if cluster.status == "available" else f"cluster is {cluster.status}"

        ready = self.wait(
            self._cluster,
            problem,
            deadline,
            f"DB cluster {self.params.cluster} in {self.params.region}",
        )
        return {"writer_arn": ready.arn, "writer_endpoint": ready.endpoint}


class FailoverClusterParams(Params):
    """The cluster whose writer moves to another instance (optionally a named one)."""

    region: str
    cluster: str
    target_instance: str | None = None


class FailoverCluster(AwsAction[FailoverClusterParams]):
    """In-region writer failover of an Aurora cluster (`failover_db_cluster`) for an AZ failure.

    Done once per run step: a marker tag on the cluster records it, so a repeat is a no-op.
    """

    kind = "aws.aurora.failover-cluster"
    events = frozenset({"FailoverDBCluster"})
    Params = FailoverClusterParams

    def describe(self) -> str:
        p = self.params
        to = f" to {p.target_instance}" if p.target_instance else ""
        return f"fail over Aurora cluster {p.cluster} in {p.region}{to}"

    def _cluster(self) -> ClusterState:
        return read_cluster(self.clients, self.params.cluster, self.params.region)

    def current(self) -> Output:
        return dump(self._cluster())

    def apply(self) -> Outcome:
        p, cluster = self.params, self._cluster()
        if p.target_instance and cluster.writer_instance == p.target_instance:
            return Outcome(changed=False, detail=f"{p.target_instance} is already the writer")
        if has_marker(self.clients, self.ctx, cluster.arn, p.region):
            return Outcome(changed=False, detail="this step already failed the cluster over")
        extra = {"TargetDBInstanceIdentifier": p.target_instance} if p.target_instance else {}
        with aws_errors(f"DB cluster {p.cluster}", p.region):
            self.client("rds", p.region).failover_db_cluster(DBClusterIdentifier=p.cluster, **extra)
        put_marker(self.clients, self.ctx, cluster.arn, p.region)
        return Outcome(changed=True, detail=f"writer was {cluster.writer_instance}")

    def verify(self, deadline: float) -> Output:
        def problem(cluster: ClusterState) -> str:
            if cluster.status != "available":
                return f"cluster is {cluster.status}"
            if (
                self.params.target_instance
                and cluster.writer_instance != self.params.target_instance
            ):
                return f"writer is {cluster.writer_instance}, not {self.params.target_instance}"
            return ""

        ready = self.wait(
            self._cluster,
            problem,
            deadline,
            f"DB cluster {self.params.cluster} in {self.params.region}",
        )
        return {"writer_instance": ready.writer_instance, "writer_endpoint": ready.endpoint}

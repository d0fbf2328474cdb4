"""EKS: scale managed nodegroups to the active capacity, verify a cluster, create one with eksctl."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pydantic import Field, JsonValue

from drctl.errors import ConfigError, NotFoundError, ProviderError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params
from drctl.providers.kube.access import KubeAccess, connect
from drctl.providers.kube.errors import kube_errors

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
UPDATE_BOUND = 15 * 60.0
"""How long (AWS seconds) a scale step waits for someone else's nodegroup update to end."""


class NodegroupState(Frozen):
    """A nodegroup's status and scaling configuration."""

    name: str
    status: str
    desired: int
    min: int
    max: int


class ClusterState(Frozen):
    """An EKS cluster's status, Kubernetes version and endpoint."""

    name: str
    region: str
    status: str
    version: str
    endpoint: str


def read_cluster(clients: AwsClients, cluster: str, region: str) -> ClusterState:
    """`describe_cluster` in `region`."""
    with aws_errors(f"EKS cluster {cluster}", region):
        c = clients.client("eks", region).describe_cluster(name=cluster)["cluster"]
    return ClusterState(
        name=c["name"],
        region=region,
        status=c["status"],
        version=c["version"],
        endpoint=c.get("endpoint", ""),
    )


def read_nodegroup(
    clients: AwsClients, cluster: str, nodegroup: str, region: str
) -> NodegroupState:
    """`describe_nodegroup` in `region`."""
    with aws_errors(f"nodegroup {nodegroup} of EKS cluster {cluster}", region):
        n = clients.client("eks", region).describe_nodegroup(
            clusterName=cluster, nodegroupName=nodegroup
        )["nodegroup"]
    size = n.get("scalingConfig", {})
    return NodegroupState(
        name=n["nodegroupName"],
        status=n["status"],
        desired=size.get("desiredSize", 0),
        min=size.get("minSize", 0),
        max=size.get("maxSize", 0),
    )


class Size(Params):
    """The wanted size of one nodegroup."""

    name: str
    desired: int = Field(ge=0)
    min: int = Field(ge=0)
    max: int = Field(ge=1)

    def matches(self, state: NodegroupState) -> bool:
        """Whether the nodegroup already has this size."""
        return (state.desired, state.min, state.max) == (self.desired, self.min, self.max)


class ScaleParams(Params):
    """The cluster, the sizes its nodegroups must have, and (optionally) its Kubernetes API
    (`nodes`), through which the step waits for the nodes to be Ready."""

    region: str
    cluster: str
    nodegroups: list[Size] = Field(min_length=1)
    nodes: KubeAccess | None = None


class ScaleNodegroups(AwsAction[ScaleParams]):
    """`update_nodegroup_config` where a nodegroup's size differs; wait ACTIVE with the sizes visible."""

    kind = "aws.eks.scale-nodegroups"
    events = frozenset({"UpdateNodegroupConfig"})
    Params = ScaleParams

    def describe(self) -> str:
        p = self.params
        sizes = ", ".join(f"{n.name}={n.desired} ({n.min}-{n.max})" for n in p.nodegroups)
        return f"scale nodegroups of EKS cluster {p.cluster} in {p.region}: {sizes}"

    def _states(self) -> dict[str, NodegroupState]:
        p = self.params
        return {
            n.name: read_nodegroup(self.clients, p.cluster, n.name, p.region) for n in p.nodegroups
        }

    def current(self) -> Output:
        return {name: dump(state) for name, state in self._states().items()}

    def apply(self) -> Outcome:
        p, states, changed = self.params, self._states(), []
        for want in p.nodegroups:
            state = states[want.name]
            if want.matches(state):
                continue  # also an update of ours still UPDATING after a crash: verify waits
            if state.status == "UPDATING":
                # Another update runs: a second one now is ResourceInUseException (EKS API).
                state = self._settled(want.name)
                if want.matches(state):
                    continue
            with aws_errors(f"nodegroup {want.name} of EKS cluster {p.cluster}", p.region):
                self.client("eks", p.region).update_nodegroup_config(
                    clusterName=p.cluster,
                    nodegroupName=want.name,
                    scalingConfig={
                        "minSize": want.min,
                        "maxSize": want.max,
                        "desiredSize": want.desired,
                    },
                )
            changed.append(want.name)
        return Outcome(changed=bool(changed), detail=f"resized: {', '.join(changed) or 'none'}")

    def _settled(self, name: str) -> NodegroupState:
        p = self.params
        return self.wait(
            lambda: read_nodegroup(self.clients, p.cluster, name, p.region),
            lambda s: "" if s.status != "UPDATING" else f"{name} is UPDATING",
            self.ctx.clock.monotonic() + UPDATE_BOUND,
            f"nodegroup {name} of EKS cluster {p.cluster} in {p.region}",
        )

    def verify(self, deadline: float) -> Output:
        wants = {n.name: n for n in self.params.nodegroups}

        def problem(states: dict[str, NodegroupState]) -> str:
            bad = [
                f"{s.name} is {s.status} at {s.desired} ({s.min}-{s.max})"
                for s in states.values()
                if s.status != "ACTIVE" or not wants[s.name].matches(s)
            ]
            return "; ".join(bad)

        states = self.wait(
            self._states,
            problem,
            deadline,
            f"EKS cluster {self.params.cluster} in {self.params.region}",
        )
        out: Output = {name: dump(state) for name, state in states.items()}
        if self.params.nodes is not None:
            out["ready_nodes"] = self._wait_nodes_ready(deadline)
        return out

    def _wait_nodes_ready(self, deadline: float) -> dict[str, JsonValue]:
        """ACTIVE is not capacity: wait until each nodegroup has `desired` Ready nodes."""
        assert self.params.nodes is not None
        kube = connect(self.params.nodes, self.ctx.settings, self.ctx.aws_roles)

        def read() -> dict[str, int]:
            with kube_errors(kube.server, "list nodes"):
                nodes = kube.core.list_node(_request_timeout=kube.timeout).items
            ready: dict[str, int] = {name: 0 for name in wants}
            for node in nodes:
                group = (node.metadata.labels or {}).get(NODEGROUP_LABEL)
                conditions = (node.status.conditions if node.status else None) or []
                if group in ready and any(
                    c.type == "Ready" and c.status == "True" for c in conditions
                ):
                    ready[group] += 1
            return ready

        wants = {n.name: n.desired for n in self.params.nodegroups}

        def problem(ready: dict[str, int]) -> str:
            short = [
                f"{g} has {ready[g]}/{w} nodes Ready" for g, w in wants.items() if ready[g] < w
            ]
            return "; ".join(short)

        counted = self.wait(read, problem, deadline, f"nodes of EKS cluster {self.params.cluster}")
        return {name: count for name, count in counted.items()}


class ClusterParams(Params):
    """An EKS cluster and, optionally, the Kubernetes version it must run."""

    region: str
    cluster: str
    version: str | None = None


class VerifyCluster(AwsAction[ClusterParams]):
    """Read-only: the cluster is ACTIVE (and runs the expected Kubernetes version)."""

    kind = "aws.eks.verify-cluster"
    Params = ClusterParams

    def describe(self) -> str:
        return f"verify EKS cluster {self.params.cluster} in {self.params.region} is ACTIVE"

    def _read(self) -> ClusterState:
        return read_cluster(self.clients, self.params.cluster, self.params.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        def problem(c: ClusterState) -> str:
            if c.status != "ACTIVE":
                return f"cluster is {c.status}"
            wanted = self.params.version
            return (
                f"Kubernetes {c.version}, expected {wanted}"
                if wanted and c.version != wanted
                else ""
            )

        return dump(
            self.wait(
                self._read,
                problem,
                deadline,
                f"EKS cluster {self.params.cluster} in {self.params.region}",
            )
        )


class CreateParams(Params):
    """An eksctl ClusterConfig file and the cluster it creates."""

    region: str
    cluster: str
    config_path: Path
    eksctl: str = "eksctl"


class CreateCluster(AwsAction[CreateParams]):
    """`eksctl create cluster -f PATH` unless the cluster exists (seed 1.1); needs eksctl installed."""

    kind = "aws.eks.create-cluster"
    events = frozenset({"CreateCluster", "CreateNodegroup"})
    Params = CreateParams

    def describe(self) -> str:
        p = self.params
        return f"create EKS cluster {p.cluster} in {p.region} with `eksctl create cluster -f {p.config_path}`"

    def _exists(self) -> bool:
        try:
            read_cluster(self.clients, self.params.cluster, self.params.region)
        except NotFoundError:
            return False
        return True

    def current(self) -> Output:
        return {"exists": self._exists()}

    def apply(self) -> Outcome:
        p = self.params
        if self._exists():
            return Outcome(changed=False, detail=f"{p.cluster} already exists")
        binary = shutil.which(p.eksctl)
        where = f"EKS cluster {p.cluster} in {p.region}"
        if binary is None:
            raise ConfigError(
                f"`{p.eksctl}` is not installed",
                where=where,
                hint="install eksctl (https://eksctl.io/installation/) or create the cluster first",
            )
        if not p.config_path.is_file():
            raise ConfigError(
                f"eksctl config {p.config_path} does not exist",
                where=where,
                hint="point `config_path` at the ClusterConfig YAML of this region",
            )
        done = subprocess.run(
            [binary, "create", "cluster", "-f", str(p.config_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ProviderError(
                f"eksctl create cluster failed: {' / '.join(tail)}",
                where=where,
                hint="read eksctl's CloudFormation events; the step is safe to repeat",
                code="EksctlFailed",
            )
        return Outcome(changed=True, detail=f"eksctl created {p.cluster}")

    def verify(self, deadline: float) -> Output:
        c = self.wait(
            lambda: read_cluster(self.clients, self.params.cluster, self.params.region),
            lambda c: "" if c.status == "ACTIVE" else f"cluster is {c.status}",
            deadline,
            f"EKS cluster {self.params.cluster} in {self.params.region}",
        )
        return dump(c)

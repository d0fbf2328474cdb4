"""The sandbox's one latency table: how long each modelled AWS operation takes, in AWS time.

Each default names its source (AWS documentation, or "unconfirmed" with the reason for the
value picked; see docs/sandbox.md). A team's own figures override them from a YAML file:

    latencies:
      aurora_global_failover: 45s
      rds_replica_promotion: 8m

Values elapse on the sandbox clock (`clock.py`), so at `--time-scale 0.02` a 60 s failover
takes 1.2 s of wall time. `drctl runs latencies RUN -o FILE` writes the same format.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from drctl.errors import ConfigError
from drctl.plan.durations import Duration
from drctl.yamlsource import load_model


class Latency(BaseModel):
    """One modelled duration and where its value comes from."""

    model_config = ConfigDict(frozen=True)

    seconds: float
    source: str


DEFAULTS: dict[str, Latency] = {
    "aurora_global_failover": Latency(
        seconds=60,
        source="AWS: managed failover 'typically' under a minute (Aurora User Guide, "
        "aurora-global-database-disaster-recovery); the upper end is modelled",
    ),
    "aurora_global_switchover": Latency(
        seconds=120,
        source="unconfirmed: AWS gives no figure; switchover waits for the secondaries to "
        "synchronise before the role change, so twice the failover is modelled",
    ),
    "aurora_failover_pending": Latency(
        seconds=5,
        source="unconfirmed: how long FailoverState stays `pending` before `failing-over` "
        "(API_FailoverState lists the states, not their durations)",
    ),
    "rds_replica_promotion": Latency(
        seconds=300,
        source="AWS: promotion takes 'several minutes or longer' (USER_ReadRepl.Promote); "
        "5 min modelled: 3 min modifying, 2 min rebooting (the split is unconfirmed)",
    ),
    "eks_nodegroup_update": Latency(
        seconds=90,
        source="unconfirmed: UpdateNodegroupConfig keeps the nodegroup UPDATING while the "
        "Auto Scaling group changes; user reports give 1-2 min",
    ),
    "eks_node_join": Latency(
        seconds=60,
        source="unconfirmed: an EC2 instance boots and its kubelet registers (NotReady) in "
        "about a minute (user reports)",
    ),
    "eks_node_ready": Latency(
        seconds=60,
        source="user reports: nodes are Ready 1-3 min after launch (AWS-FACTS); "
        "join + this = 2 min",
    ),
    "eks_control_plane_create": Latency(
        seconds=900,
        source="containers-roadmap #1227: control plane creation averages ~15 min",
    ),
    "eks_nodegroup_create": Latency(
        seconds=180,
        source="unconfirmed: AWS documents no duration for CreateNodegroup; the group is "
        "CREATING until its instances joined (else NodeCreationFailure), so at least "
        "eks_node_join; 3 min modelled",
    ),
    "ebs_snapshot_copy": Latency(
        seconds=300,
        source="AWS EBS User Guide: a copy is pending until its data is transferred, minutes "
        "for an incremental copy, hours for a full one (no figure); 5 min modelled, as the "
        "compiler estimates the step",
    ),
    "ebs_volume_create": Latency(
        seconds=30,
        source="unconfirmed: CreateVolume answers State creating, then available; AWS gives "
        "no duration (seconds to a minute in user reports); 30 s modelled",
    ),
    "efs_replication_delete": Latency(
        seconds=180,
        source="AWS: deleting a replication configuration 'can take several minutes' "
        "(API_DeleteReplicationConfiguration); 3 min modelled",
    ),
    "route53_change_propagation": Latency(
        seconds=60,
        source="AWS: changes 'generally propagate to all Route 53 name servers within 60 "
        "seconds' (API_ChangeResourceRecordSets); GetChange answers PENDING until INSYNC",
    ),
    "secret_replica_promotion": Latency(
        seconds=5,
        source="unconfirmed: StopReplicationToReplica documents no duration; seconds modelled",
    ),
    "dns_ttl_failover": Latency(
        seconds=60,
        source="AWS: TTL <= 60 s recommended for failover records; ELB alias TTL is 60 s",
    ),
    "s3_replication": Latency(
        seconds=15,
        source="AWS: most objects replicate within seconds; RTC: 99.99 % within 15 min",
    ),
    "dynamodb_replication": Latency(
        seconds=1,
        source="AWS: global tables replicate 'usually within a second' (no SLA)",
    ),
    "cloudtrail_delivery": Latency(
        seconds=300,
        source="AWS: events appear within ~5 min of the call (up to ~15)",
    ),
}


class LatencyFile(BaseModel):
    """A `--latencies FILE`: AWS-time durations by name, and measured step durations."""

    model_config = ConfigDict(extra="forbid")

    latencies: dict[str, Duration] = {}
    steps: dict[str, Duration] = {}


class LatencyTable:
    """The defaults, with a file's overrides; `seconds(name)` is what the sandbox waits."""

    def __init__(self, overrides: dict[str, timedelta] | None = None, *, origin: str = "") -> None:
        unknown = sorted(set(overrides or {}) - set(DEFAULTS))
        if unknown:
            raise ConfigError(
                f"unknown latency {', '.join(unknown)}" + (f" in {origin}" if origin else ""),
                hint=f"known latencies: {', '.join(sorted(DEFAULTS))}",
            )
        self.values = dict(DEFAULTS)
        for name, value in (overrides or {}).items():
            self.values[name] = Latency(
                seconds=value.total_seconds(), source=f"override from {origin or 'caller'}"
            )

    def seconds(self, name: str) -> float:
        return self.values[name].seconds

    @classmethod
    def instant(cls) -> LatencyTable:
        """Every latency 0: the sandbox without `--time-scale` (kinder than AWS)."""
        table = cls()
        table.values = {
            name: Latency(seconds=0, source="instant: the sandbox runs without --time-scale")
            for name in DEFAULTS
        }
        return table

    @property
    def faithful(self) -> bool:
        """Whether any modelled operation takes time."""
        return any(v.seconds > 0 for v in self.values.values())

    @classmethod
    def load(cls, path: Path) -> LatencyTable:
        """Read a latency file; a bad one is a ConfigError naming file:line and the field."""
        data = load_model(path, LatencyFile, error=ConfigError)
        return cls(dict(data.latencies), origin=str(path))


_lock = threading.Lock()
_table = LatencyTable.instant()


def table() -> LatencyTable:
    """The table in force in this process (process-wide, like moto's backends)."""
    with _lock:
        return _table


def use(new: LatencyTable) -> None:
    """Make `new` the table in force."""
    global _table
    with _lock:
        _table = new


def seconds(name: str) -> float:
    """The AWS-time duration of `name` in the table in force."""
    return table().seconds(name)


@contextmanager
def in_force(new: LatencyTable, scale: float) -> Iterator[LatencyTable]:
    """Use `new` on a clock running at `scale` until the block ends, then restore both."""
    from drctl_sandbox.clock import CLOCK

    old_table, old_scale = table(), CLOCK.scale
    use(new)
    CLOCK.set_scale(scale)
    try:
        yield new
    finally:
        use(old_table)
        CLOCK.set_scale(old_scale)

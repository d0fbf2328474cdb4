"""RDS instances: promote a cross-region read replica; Multi-AZ reboot with failover."""

from __future__ import annotations

from drctl.errors import StateError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.aws.markers import has_marker, put_marker
from drctl.providers.base import Outcome, Output, Params

PROMOTING = frozenset({"modifying", "rebooting"})
"""Statuses a read replica passes through while it is promoted (USER_ReadRepl.Promote)."""


class InstanceState(Frozen):
    """One RDS instance: status, endpoint, replication links, Multi-AZ placement."""

    identifier: str
    arn: str
    region: str
    status: str
    endpoint: str
    replica_source: str | None
    replicas: tuple[str, ...]
    multi_az: bool
    availability_zone: str | None


def read_instance(clients: AwsClients, instance: str, region: str) -> InstanceState:
    """Describe one RDS instance in `region`."""
    with aws_errors(f"DB instance {instance}", region):
        i = clients.client("rds", region).describe_db_instances(DBInstanceIdentifier=instance)[
            "DBInstances"
        ][0]
    endpoint = i.get("Endpoint") or {}
    return InstanceState(
        identifier=i["DBInstanceIdentifier"],
        arn=i["DBInstanceArn"],
        region=region,
        status=i["DBInstanceStatus"],
        endpoint=f"{endpoint.get('Address', '')}:{endpoint.get('Port', '')}",
        replica_source=i.get("ReadReplicaSourceDBInstanceIdentifier") or None,
        replicas=tuple(i.get("ReadReplicaDBInstanceIdentifiers", [])),
        multi_az=bool(i.get("MultiAZ")),
        availability_zone=i.get("AvailabilityZone"),
    )


class InstanceParams(Params):
    """An RDS instance in a region."""

    region: str
    instance: str


class PromoteReadReplica(AwsAction[InstanceParams]):
    """Promote a read replica to a standalone writable instance and wait until it is available."""

    kind = "aws.rds.promote-read-replica"
    events = frozenset({"PromoteReadReplica"})
    Params = InstanceParams

    def describe(self) -> str:
        return f"promote read replica {self.params.instance} in {self.params.region}"

    def _read(self) -> InstanceState:
        return read_instance(self.clients, self.params.instance, self.params.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        p, instance = self.params, self._read()
        if instance.replica_source is None:
            return Outcome(
                changed=False, detail=f"{instance.identifier} is not a replica (already promoted)"
            )
        if instance.status in PROMOTING:
            # After a crash mid-step: the promotion requested before is still running, and a
            # second PromoteReadReplica would fail with InvalidDBInstanceState; go to verify.
            return Outcome(
                changed=False,
                detail=f"promotion of {instance.identifier} already in progress ({instance.status})",
            )
        with aws_errors(f"DB instance {p.instance}", p.region):
            self.client("rds", p.region).promote_read_replica(DBInstanceIdentifier=p.instance)
        return Outcome(changed=True, detail=f"promoted from {instance.replica_source}")

    def verify(self, deadline: float) -> Output:
        def problem(i: InstanceState) -> str:
            if i.replica_source:
                return f"{i.identifier} still replicates from {i.replica_source}"
            return "" if i.status == "available" else f"{i.identifier} is {i.status}"

        ready = self.wait(
            self._read,
            problem,
            deadline,
            f"DB instance {self.params.instance} in {self.params.region}",
        )
        return {"endpoint": ready.endpoint, "arn": ready.arn}


class AzFailoverParams(InstanceParams):
    """A Multi-AZ instance, and the AZ its writer must leave (None: fail over wherever it is)."""

    away_from_az: str | None = None


class RebootFailover(AwsAction[AzFailoverParams]):
    """Reboot a Multi-AZ instance with ForceFailover while its writer is in the failed AZ; once per step."""

    kind = "aws.rds.reboot-failover"
    events = frozenset({"RebootDBInstance"})
    Params = AzFailoverParams

    def describe(self) -> str:
        p = self.params
        where = f" if its writer is in {p.away_from_az}" if p.away_from_az else ""
        return f"reboot {p.instance} in {p.region} with Multi-AZ failover{where}"

    def _read(self) -> InstanceState:
        return read_instance(self.clients, self.params.instance, self.params.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        p, instance = self.params, self._read()
        if has_marker(self.clients, self.ctx, instance.arn, p.region):
            return Outcome(
                changed=False, detail="this step already rebooted the instance with failover"
            )
        if p.away_from_az and instance.availability_zone != p.away_from_az:
            return Outcome(
                changed=False,
                detail=f"writer is in {instance.availability_zone}, not {p.away_from_az}: "
                "no failover needed",
            )
        if not instance.multi_az:
            raise StateError(
                f"{instance.identifier} is not Multi-AZ, so a reboot cannot fail over",
                hint="enable Multi-AZ (modify-db-instance --multi-az) or drop this step",
                where=f"DB instance {p.instance} in {p.region}",
                code="NotMultiAZ",
            )
        with aws_errors(f"DB instance {p.instance}", p.region):
            self.client("rds", p.region).reboot_db_instance(
                DBInstanceIdentifier=p.instance, ForceFailover=True
            )
        put_marker(self.clients, self.ctx, instance.arn, p.region)
        return Outcome(changed=True, detail=f"was in {instance.availability_zone}")

    def verify(self, deadline: float) -> Output:
        def problem(i: InstanceState) -> str:
            return "" if i.status == "available" else f"{i.identifier} is {i.status}"

        ready = self.wait(
            self._read,
            problem,
            deadline,
            f"DB instance {self.params.instance} in {self.params.region}",
        )
        return {"endpoint": ready.endpoint, "availability_zone": ready.availability_zone}
